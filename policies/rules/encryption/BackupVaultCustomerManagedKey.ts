import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, isPresent, mentionsAwsManagedKey } from '../helpers/values';

/** Every backup vault names a customer-managed key (EncryptionKeyArn present, not alias/aws/backup). */
export const BackupVaultCustomerManagedKey = defineRule({
  id: 'BackupVaultCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)', '164.308(a)(7)(ii)(A)'],
  info: 'The backup vault is not encrypted with a customer-managed KMS key (EncryptionKeyArn).',
  explanation:
    'Pillar P05: recovery points are full copies of PHI. Without EncryptionKeyArn, AWS Backup uses an AWS-managed ' +
    'key whose policy the kit cannot restrict.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Backup::BackupVault') return NagRuleCompliance.NOT_APPLICABLE;
    const key = cfnProps(node).EncryptionKeyArn;
    return compliantIf(isPresent(key) && !mentionsAwsManagedKey(key));
  },
});
