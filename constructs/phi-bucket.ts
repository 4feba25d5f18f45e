import { Duration, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { BUCKET_BASELINE, FIXED_NAME_REMOVAL, NONCURRENT_VERSION_DAYS } from './defaults';

/** Tag every PHI store carries, so backup selections, Macie jobs and auditors can find it. */
export const PHI_CLASSIFICATION_TAG = { key: 'hipaa-kit:data-classification', value: 'phi' } as const;

export interface PhiBucketProps {
  /** Fixed name, so the audit trail (an earlier stack) can record its data events by name. */
  readonly bucketName: string;
  /** CMK for every object. */
  readonly encryptionKey: kms.IKey;
  /** Where S3 server access logs go. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** @default 'phi-bucket/' */
  readonly serverAccessLogsPrefix?: string;
  /** Days a replaced or deleted object version is kept before it expires. @default NONCURRENT_VERSION_DAYS */
  readonly noncurrentVersionDays?: number;
}

/**
 * The PHI attachments bucket. SSE-KMS under the data key with an S3 Bucket Key; uploads that ask for any other
 * encryption are refused, so every object is under the CMK (clients send no encryption headers and get the
 * default, or name the key by its full ARN). Versioning, blocked public access, TLS 1.2+ only,
 * server access logs, and a lifecycle that expires old versions. No CORS: clients upload with presigned PUTs.
 */
export class PhiBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PhiBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      ...BUCKET_BASELINE,
      bucketName: props.bucketName,
      removalPolicy: FIXED_NAME_REMOVAL,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? 'phi-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? NONCURRENT_VERSION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
      ],
    });

    const objects = this.bucket.arnForObjects('*');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyNonKmsEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherKmsKeys',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': props.encryptionKey.keyArn },
        },
      }),
    );
    Tags.of(this.bucket).add(PHI_CLASSIFICATION_TAG.key, PHI_CLASSIFICATION_TAG.value);

    const resource = this.bucket.node.defaultChild!;
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
      acknowledge(
        resource,
        `${pack}::${pack}-S3BucketReplicationEnabled`,
        'The kit is single-region by design; PHI is not replicated to a second region. Compensating controls: daily AWS Backup recovery points in a CMK-encrypted vault, versioning, retained on delete.',
      );
    }
  }
}
