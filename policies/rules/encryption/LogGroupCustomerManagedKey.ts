import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, isPresent } from '../helpers/values';

/** Every CloudWatch Logs log group names a KMS key (log groups accept only customer-managed keys). */
export const LogGroupCustomerManagedKey = defineRule({
  id: 'LogGroupCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The log group is not encrypted with a customer-managed KMS key (KmsKeyId).',
  explanation:
    'Pillar P05: logs can hold PHI fragments and are audit evidence. Without KmsKeyId they are encrypted with a ' +
    'service key outside the kit; with the logs key, reading them needs kms:Decrypt and is itself logged.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(isPresent(cfnProps(node).KmsKeyId));
  },
});
