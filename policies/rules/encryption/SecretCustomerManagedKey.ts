import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, isPresent, mentionsAwsManagedKey } from '../helpers/values';

/** Every Secrets Manager secret names a customer-managed KMS key (not alias/aws/secretsmanager). */
export const SecretCustomerManagedKey = defineRule({
  id: 'SecretCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The secret is not encrypted with a customer-managed KMS key.',
  explanation:
    'Pillar P05: secrets (database credentials, push-provider keys) open the way to PHI. Encrypting them with a ' +
    'kit key means reading one needs both secretsmanager:GetSecretValue and kms:Decrypt on that key.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::SecretsManager::Secret') return NagRuleCompliance.NOT_APPLICABLE;
    const key = cfnProps(node).KmsKeyId;
    return compliantIf(isPresent(key) && !mentionsAwsManagedKey(key));
  },
});
