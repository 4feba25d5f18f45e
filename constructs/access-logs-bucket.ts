import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { BUCKET_BASELINE, NONCURRENT_VERSION_DAYS } from './defaults';

export interface AccessLogsBucketProps {
  /** Days to keep access logs (they are audit evidence). */
  readonly retentionDays: number;
}

/**
 * The sink for S3 server access logs of every kit bucket and for the ALB access logs.
 * Both AWS log deliveries require SSE-S3 here (neither can write with a KMS key), so this is the one bucket
 * without a CMK. S3 log delivery is admitted by bucket policy (ACLs stay disabled); ALB delivery is added by
 * `ApplicationLoadBalancer.logAccessLogs(bucket, prefix)` in the Service stack.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    // Log delivery by bucket policy, never by the LogDeliveryWrite ACL (ACLs stay disabled), whatever the app's flags.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.bucket = new s3.Bucket(this, 'Resource', {
      ...BUCKET_BASELINE,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'ExpireAfterRetention',
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // Buckets in other kit stacks get an unconditioned log-delivery grant from CDK (it cannot name their ARN
    // without a stack cycle); this deny keeps S3 log delivery limited to this account's buckets.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyLogDeliveryFromOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 'aws:SourceAccount': account } },
      }),
    );

    // The documented SSE-S3 exception the Pillars pack reads (tag values allow no punctuation beyond + - = . _ : / @).
    Tags.of(this.bucket).add(
      'hipaa-kit:sse-s3-exception',
      'S3 server access logs and ALB access logs can only be delivered to SSE-S3 buckets',
    );

    const resource = this.bucket.node.defaultChild!;
    // No S1 / S3BucketLoggingEnabled acknowledgement: the rule counts a bucket as logged when another bucket in
    // the stack delivers its access logs here (the audit bucket does); logging the sink into itself would loop.
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
      acknowledge(
        resource,
        `${pack}::${pack}-S3DefaultEncryptionKMS`,
        'S3 server access logging and ALB access logging can only write to SSE-S3 buckets (KMS unsupported). Compensating controls: object keys are opaque ids so the logs carry no PHI, public access blocked, TLS-only, versioning.',
      );
      acknowledge(
        resource,
        `${pack}::${pack}-S3BucketReplicationEnabled`,
        'Access logs are kept in-region by design (single-region kit). Compensating controls: versioning, retention lifecycle, public access blocked, bucket retained on stack deletion.',
      );
    }
  }
}
