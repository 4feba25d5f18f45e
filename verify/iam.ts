/**
 * IAM: no role of the kit carries an inline policy (AWS Config's iam-no-inline-policy-check in the HIPAA conformance
 * pack allows managed policies only). Someone adding one by hand, or a CDK upgrade bringing one back, shows here.
 */
import { ListRolePoliciesCommand, ListRolePoliciesCommandOutput } from '@aws-sdk/client-iam';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';

const AREA = 'IAM';

export const IAM_CHECKS = {
  noInlinePolicies: {
    id: 'iam.no-inline-policies',
    title: 'Role has no inline policy (managed policies only)',
    pillars: ['P07'],
    hipaa: ['164.312(a)(1)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkIam(ctx: VerifyContext): Promise<CheckResult[]> {
  const roles = resourcesOfType(ctx.deployment, 'AWS::IAM::Role');
  const results = await Promise.all(
    roles.map((role) =>
      guarded(AREA, Object.values(IAM_CHECKS), label(role), async () => {
        const names: string[] = [];
        let marker: string | undefined;
        do {
          const page: ListRolePoliciesCommandOutput = await ctx.call(
            ctx.clients.iam,
            new ListRolePoliciesCommand({ RoleName: role.physicalId, Marker: marker }),
          );
          names.push(...(page.PolicyNames ?? []));
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        const problems = names.length > 0 ? [`inline policies: ${names.join(', ')}`] : [];
        return [judge(AREA, IAM_CHECKS.noInlinePolicies, label(role), problems, 'no inline policy')];
      }),
    ),
  );
  return results.flat();
}
