import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { globMatch, inBackupSelection } from '../helpers/backup-selection';
import { isPhiBucket } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/**
 * Every bucket tagged `hipaa-kit:data-classification=phi` is selected by an AWS Backup selection in the app: by
 * Ref/GetAtt in the same stack, by an ARN (pattern) naming the bucket, or by tag.
 */
export const S3PhiBucketInBackupSelection = defineRule({
  id: 'S3PhiBucketInBackupSelection',
  pillars: [],
  hipaa: ['164.308(a)(7)(ii)(A)'],
  info: 'The PHI bucket is not covered by any AWS Backup selection in the app.',
  explanation:
    '164.308(a)(7)(ii)(A) data backup plan: versioning protects against overwrite, not against loss of the bucket ' +
    'or its key; AWS Backup keeps independent recovery points of PHI attachments.',
  check: (node: CfnResource) => {
    if (!isPhiBucket(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const name = str(cfnProps(node).BucketName);
    const covered = inBackupSelection(node, (arn) => {
      const bucket = /^arn:[a-z-]+:s3:::(.*)$/.exec(arn)?.[1];
      return bucket !== undefined && name !== undefined && globMatch(bucket, name);
    });
    return compliantIf(covered);
  },
});
