import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { asArray, cfnProps, isPresent, isTrue, mentionsAwsManagedKey } from '../helpers/values';

const hasCmk = (key: unknown) => isPresent(key) && !mentionsAwsManagedKey(key);

/**
 * Every DynamoDB table is encrypted with a customer-managed KMS key: SSESpecification with SSEEnabled, SSEType KMS
 * and a KMSMasterKeyId that is not alias/aws/dynamodb. Without it DynamoDB uses an AWS-owned key (no SSESpecification)
 * or the AWS-managed key (no KMSMasterKeyId). A global table names the key per replica.
 */
export const DynamoDBCustomerManagedKey = defineRule({
  id: 'DynamoDBCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The DynamoDB table is not encrypted with a customer-managed KMS key.',
  explanation:
    "Pillar P05: the kit's tables hold key material (the wrapped conversation keys). Under a kit key, every use is " +
    'governed by its key policy and logged in CloudTrail, and disabling the key makes the table unreadable.',
  check: (node: CfnResource) => {
    const props = cfnProps(node);
    const sse = props.SSESpecification ?? {};
    if (node.cfnResourceType === 'AWS::DynamoDB::Table') {
      return compliantIf(isTrue(sse.SSEEnabled) && sse.SSEType === 'KMS' && hasCmk(sse.KMSMasterKeyId));
    }
    if (node.cfnResourceType === 'AWS::DynamoDB::GlobalTable') {
      const replicas = asArray(props.Replicas);
      const replicaKeys = replicas.map((r) => r?.SSESpecification?.KMSMasterKeyId);
      return compliantIf(
        isTrue(sse.SSEEnabled) && sse.SSEType === 'KMS' && replicas.length > 0 && replicaKeys.every(hasCmk),
      );
    }
    return NagRuleCompliance.NOT_APPLICABLE;
  },
});
