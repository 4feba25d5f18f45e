import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { MIN_AUDIT_RETENTION_DAYS } from '../../../core/limits';
import { defineRule } from '../../rule';
import { appResources, designates } from '../helpers/references';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isTrue, num, str } from '../helpers/values';

/**
 * A bucket a CloudTrail trail in the app delivers to (S3BucketName by Ref in the same stack, or by concrete name)
 * has Object Lock enabled with a default retention of at least 2190 days (6 years).
 * Findings: `ObjectLockEnabled`, `DefaultRetention`.
 */
export const S3AuditBucketObjectLock = defineRule({
  id: 'S3AuditBucketObjectLock',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.312(c)(1)'],
  info: 'The CloudTrail audit bucket does not have Object Lock with a default retention of at least 6 years.',
  explanation:
    '164.312(c)(1) integrity: audit records must not be altered or destroyed. Object Lock (WORM) with a default ' +
    'retention keeps every log file immutable for six years, even against an administrator.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const name = str(props.BucketName);
    const isAuditBucket = appResources(node, 'AWS::CloudTrail::Trail').some((trail) =>
      designates(cfnProps(trail).S3BucketName, trail, node, (text) => text === name),
    );
    if (!isAuditBucket) return NagRuleCompliance.NOT_APPLICABLE;
    const findings: string[] = [];
    const lock = props.ObjectLockConfiguration;
    if (!isTrue(props.ObjectLockEnabled)) findings.push('ObjectLockEnabled');
    const retention = lock?.Rule?.DefaultRetention;
    const days = num(retention?.Days) ?? (num(retention?.Years) ?? 0) * 365;
    if (!(days >= MIN_AUDIT_RETENTION_DAYS)) findings.push('DefaultRetention');
    return findingsOrCompliant(findings);
  },
});
