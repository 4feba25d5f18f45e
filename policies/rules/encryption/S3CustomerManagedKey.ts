import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { KIT_TAGS, tagValue } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { asArray, cfnProps, isPresent, mentionsAwsManagedKey, str } from '../helpers/values';

/** An exception reason must say something (the same floor the kit sets for acknowledgement reasons). */
export const MIN_EXCEPTION_REASON_LENGTH = 20;

/**
 * Every bucket's default encryption is SSE-KMS with a customer-managed key (a KMSMasterKeyID that is not an
 * alias/aws/* key). The documented exception: a bucket that cannot use SSE-KMS (ALB access logs, S3 server access
 * logs) carries the tag `hipaa-kit:sse-s3-exception` whose value states why (20+ characters), and then must use
 * SSE-S3 (AES256) explicitly. The tag is visible in the template and the report, unlike a silent default.
 */
export const S3CustomerManagedKey = defineRule({
  id: 'S3CustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The bucket is not encrypted with a customer-managed KMS key, and carries no documented SSE-S3 exception tag.',
  explanation:
    'Pillar P05: PHI at rest is encrypted under keys the kit owns, rotates and audits. SSE-S3 and AWS-managed keys ' +
    "leave key policy and key-use logging outside the kit's control. Log buckets that AWS services can only write " +
    "with SSE-S3 declare it with the tag 'hipaa-kit:sse-s3-exception' = '<reason>'.",
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const defaults = asArray(props.BucketEncryption?.ServerSideEncryptionConfiguration).map(
      (rule) => rule?.ServerSideEncryptionByDefault ?? {},
    );
    const kms = defaults.some(
      (d) =>
        (d.SSEAlgorithm === 'aws:kms' || d.SSEAlgorithm === 'aws:kms:dsse') &&
        isPresent(d.KMSMasterKeyID) &&
        !mentionsAwsManagedKey(d.KMSMasterKeyID),
    );
    if (kms) return NagRuleCompliance.COMPLIANT;
    const reason = str(tagValue(props, KIT_TAGS.sseS3Exception)) ?? '';
    const sseS3 = defaults.length > 0 && defaults.every((d) => d.SSEAlgorithm === 'AES256');
    return compliantIf(reason.trim().length >= MIN_EXCEPTION_REASON_LENGTH && sseS3);
  },
});
