/** Cognito: MFA ON with TOTP only, threat protection enforced, app client token validities as synthesized. */
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolClientCommandOutput,
  DescribeUserPoolCommand,
  DescribeUserPoolCommandOutput,
  GetUserPoolMfaConfigCommand,
  GetUserPoolMfaConfigCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';
import { templateResource } from './expected';

const AREA = 'Cognito';

export const COGNITO_CHECKS = {
  mfa: { id: 'cognito.mfa-totp', title: 'MFA ON, TOTP only', pillars: ['P08'], hipaa: ['164.312(d)'] },
  threatProtection: {
    id: 'cognito.threat-protection',
    title: 'Threat protection enforced',
    pillars: ['P02', 'P03'],
    hipaa: ['164.312(d)', '164.308(a)(5)(ii)(C)'],
  },
  tokens: {
    id: 'cognito.token-validity',
    title: 'Token validities as synthesized',
    pillars: ['P14'],
    hipaa: ['164.312(a)(2)(iii)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkCognito(ctx: VerifyContext): Promise<CheckResult[]> {
  const pools = resourcesOfType(ctx.deployment, 'AWS::Cognito::UserPool');
  const clients = resourcesOfType(ctx.deployment, 'AWS::Cognito::UserPoolClient');
  const results = await Promise.all(
    pools.map((pool) =>
      guarded(AREA, Object.values(COGNITO_CHECKS), label(pool), async () => {
        const UserPoolId = pool.physicalId;
        const where = label(pool);
        const described: DescribeUserPoolCommandOutput = await ctx.call(
          ctx.clients.cognito,
          new DescribeUserPoolCommand({ UserPoolId }),
        );
        const mfa: GetUserPoolMfaConfigCommandOutput = await ctx.call(
          ctx.clients.cognito,
          new GetUserPoolMfaConfigCommand({ UserPoolId }),
        );
        const mfaProblems: string[] = [];
        if (mfa.MfaConfiguration !== 'ON') mfaProblems.push(`MFA is ${mfa.MfaConfiguration ?? 'unset'}`);
        if (!mfa.SoftwareTokenMfaConfiguration?.Enabled) mfaProblems.push('TOTP (software token) MFA is off');
        if (mfa.SmsMfaConfiguration?.SmsConfiguration) mfaProblems.push('SMS MFA is configured');
        if (Object.keys(mfa.EmailMfaConfiguration ?? {}).length > 0) mfaProblems.push('email MFA is configured');

        const mode = described.UserPool?.UserPoolAddOns?.AdvancedSecurityMode ?? 'OFF';
        const results: CheckResult[] = [
          judge(AREA, COGNITO_CHECKS.mfa, where, mfaProblems, 'MFA ON, TOTP only'),
          judge(
            AREA,
            COGNITO_CHECKS.threatProtection,
            where,
            mode === 'ENFORCED' ? [] : [`threat protection is ${mode}`],
            'ENFORCED',
          ),
        ];
        for (const client of clients.filter((c) => c.stack === pool.stack)) {
          const props = templateResource(ctx.templates, client.stack, client.logicalId)?.Properties ?? {};
          const live: DescribeUserPoolClientCommandOutput = await ctx.call(
            ctx.clients.cognito,
            new DescribeUserPoolClientCommand({ UserPoolId, ClientId: client.physicalId }),
          );
          const c = live.UserPoolClient ?? {};
          const problems: string[] = [];
          const units = (props.TokenValidityUnits ?? {}) as Record<string, string>;
          const liveUnits = (c.TokenValidityUnits ?? {}) as Record<string, string>;
          for (const [field, unitKey] of [
            ['AccessTokenValidity', 'AccessToken'],
            ['IdTokenValidity', 'IdToken'],
            ['RefreshTokenValidity', 'RefreshToken'],
          ] as const) {
            const want = props[field];
            if (want === undefined) continue;
            if (c[field] !== want || (units[unitKey] && liveUnits[unitKey] !== units[unitKey])) {
              problems.push(
                `${field} ${c[field]} ${liveUnits[unitKey] ?? ''}, synthesized ${want} ${units[unitKey] ?? ''}`.trim(),
              );
            }
          }
          results.push(
            judge(
              AREA,
              COGNITO_CHECKS.tokens,
              label(client),
              problems,
              `access ${c.AccessTokenValidity} ${liveUnits.AccessToken}, id ${c.IdTokenValidity} ${liveUnits.IdToken}, refresh ${c.RefreshTokenValidity} ${liveUnits.RefreshToken}`,
            ),
          );
        }
        return results;
      }),
    ),
  );
  return results.flat();
}
