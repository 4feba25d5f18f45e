import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, isPresent, mentionsAwsManagedKey } from '../helpers/values';

/** Every topic names a customer-managed KMS key (KmsMasterKeyId present, not alias/aws/sns). */
export const SNSCustomerManagedKey = defineRule({
  id: 'SNSCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The SNS topic is not encrypted with a customer-managed KMS key.',
  explanation:
    'Pillar P05: messages at rest in SNS are encrypted under a key the kit controls. The AWS-managed alias/aws/sns ' +
    'key cannot be shared with publishing services such as CloudWatch alarms, and its use is not governed by the kit.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::SNS::Topic') return NagRuleCompliance.NOT_APPLICABLE;
    const key = cfnProps(node).KmsMasterKeyId;
    return compliantIf(isPresent(key) && !mentionsAwsManagedKey(key));
  },
});
