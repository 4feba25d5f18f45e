import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { BUCKET_BASELINE } from './defaults';

export interface AuditBucketProps {
  /** Key for default encryption; the trail encrypts its log files with the same key. */
  readonly encryptionKey: kms.IKey;
  /** Object Lock default retention in days (governance mode). */
  readonly retentionDays: number;
  /** Where this bucket's own S3 server access logs go. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** @default 'audit-bucket/' */
  readonly serverAccessLogsPrefix?: string;
  /** ARN of the only trail allowed to deliver here (`aws:SourceArn`), built from the fixed trail name. */
  readonly trailArn: string;
  /** Account whose logs the trail delivers (the `AWSLogs/<account>/` prefix). */
  readonly account: string;
}

/**
 * The CloudTrail bucket: write-once evidence. Object Lock (governance) keeps every log file and digest for the
 * retention period even from administrators without `s3:BypassGovernanceRetention`; versioning, SSE-KMS,
 * TLS-only and blocked public access come from the bucket baseline.
 */
export class AuditBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      ...BUCKET_BASELINE,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      // No S3 Bucket Key: with one, S3 asks KMS under a bucket-level encryption context, which the audit key's
      // CloudTrail statement (scoped to `aws:cloudtrail:arn`) would not match. Log volume is small, so cost is too.
      bucketKeyEnabled: false,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? 'audit-bucket/',
    });

    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const onlyThisTrail = { StringEquals: { 'aws:SourceArn': props.trailArn } };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: onlyThisTrail,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${props.account}/*`)],
        conditions: {
          StringEquals: { ...onlyThisTrail.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );

    const resource = this.bucket.node.defaultChild!;
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
      acknowledge(
        resource,
        `${pack}::${pack}-S3BucketReplicationEnabled`,
        'The kit is single-region by design; the CloudTrail bucket is not replicated. Compensating controls: Object Lock (governance) for the retention period, versioning, log-file validation digests, retained on delete.',
      );
    }
  }
}
