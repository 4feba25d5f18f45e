import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, isTrue } from '../helpers/values';

/**
 * Every symmetric KMS key has automatic rotation on. Asymmetric and HMAC keys cannot rotate automatically in KMS,
 * so they are not applicable (the kit encrypts PHI with symmetric keys only).
 */
export const KMSKeyRotation = defineRule({
  id: 'KMSKeyRotation',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The symmetric KMS key does not have automatic key rotation enabled.',
  explanation:
    'Pillar P05: customer-managed keys protect PHI at rest. Yearly rotation (EnableKeyRotation) limits how much data ' +
    'any one key version protects, without re-encrypting stored data.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const spec = props.KeySpec ?? 'SYMMETRIC_DEFAULT';
    if (spec !== 'SYMMETRIC_DEFAULT' && typeof spec === 'string') return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(isTrue(props.EnableKeyRotation));
  },
});
