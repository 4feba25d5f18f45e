import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps } from '../helpers/values';

/** A user pool requires MFA (`MfaConfiguration: ON`) and offers TOTP only (`EnabledMfas: [SOFTWARE_TOKEN_MFA]`). */
export const CognitoMfaRequiredTotpOnly = defineRule({
  id: 'CognitoMfaRequiredTotpOnly',
  pillars: ['P08'],
  hipaa: ['164.312(d)'],
  info: 'The user pool does not require MFA, or allows a second factor other than TOTP (SMS, email).',
  explanation:
    'Pillar P08: every sign-in needs a second factor, and that factor is a TOTP authenticator (RFC 6238). SMS and ' +
    'email codes can be intercepted or SIM-swapped, so MfaConfiguration must be ON with SOFTWARE_TOKEN_MFA only.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Cognito::UserPool') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const mfas = props.EnabledMfas;
    const totpOnly = Array.isArray(mfas) && mfas.length === 1 && mfas[0] === 'SOFTWARE_TOKEN_MFA';
    return compliantIf(props.MfaConfiguration === 'ON' && totpOnly);
  },
});
