import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, num } from '../helpers/values';

/** Pillar P14: 15 minutes. */
export const MAX_TOKEN_MINUTES = 15;

const MINUTES_PER_UNIT: Record<string, number> = { seconds: 1 / 60, minutes: 1, hours: 60, days: 1440 };

/** Cognito's default when a client leaves a validity unset: 60 minutes; values without units count in hours. */
const DEFAULT_MINUTES = 60;
const DEFAULT_UNIT = 'hours';

/**
 * An app client's access and ID tokens live at most 15 minutes, read with their TokenValidityUnits (default hours).
 * Findings: `AccessTokenValidity`, `IdTokenValidity`. Unresolved values are findings.
 */
export const CognitoShortTokenValidity = defineRule({
  id: 'CognitoShortTokenValidity',
  pillars: ['P14'],
  hipaa: ['164.312(a)(2)(iii)'],
  info: 'The user pool app client issues access or ID tokens valid for more than 15 minutes.',
  explanation:
    'Pillar P14: an idle session ends after 15 minutes. Short-lived access and ID tokens bound how long a stolen or ' +
    'abandoned token works; the refresh token (rotated, revocable) keeps active users signed in.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Cognito::UserPoolClient') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const findings: string[] = [];
    for (const [property, unitKey] of [
      ['AccessTokenValidity', 'AccessToken'],
      ['IdTokenValidity', 'IdToken'],
    ]) {
      const raw = props[property];
      const unit = props.TokenValidityUnits?.[unitKey] ?? DEFAULT_UNIT;
      const perUnit = typeof unit === 'string' ? MINUTES_PER_UNIT[unit] : undefined;
      const value = num(raw);
      const minutes =
        raw === undefined ? DEFAULT_MINUTES : value !== undefined && perUnit ? value * perUnit : undefined;
      if (minutes === undefined || minutes > MAX_TOKEN_MINUTES) findings.push(property);
    }
    return findingsOrCompliant(findings);
  },
});
