import { Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { partitionOf } from '../core/partition';
import { EncryptedLogGroup } from './encrypted-log-group';

export interface AuditTrailProps {
  /** Fixed trail name; key and bucket policies scope `aws:SourceArn` to it. */
  readonly trailName: string;
  /** The Object-Locked bucket the trail delivers to. Its policy must already admit this trail. */
  readonly bucket: s3.IBucket;
  /** CMK for the log files (its policy admits CloudTrail for this trail only). */
  readonly encryptionKey: kms.IKey;
  /** CMK for the CloudWatch log group (its policy admits CloudWatch Logs). */
  readonly logsKey: kms.IKey;
  /** Retention of the CloudWatch copy; must be a CloudWatch retention value. */
  readonly logRetentionDays: number;
}

/**
 * The account's audit trail: multi-region, global service events, every management event, S3 data events (object
 * reads and writes) of every bucket in the account, log-file validation, KMS-encrypted files in the audit bucket, and
 * a KMS-encrypted CloudWatch Logs copy for the CIS alarms.
 * Built on CfnTrail (not the L2) because the L2 adds an inline logs-role policy and a bucket policy
 * without `aws:SourceArn`.
 */
export class AuditTrail extends Construct {
  readonly trail: cloudtrail.CfnTrail;
  readonly trailArn: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    this.trailArn = `arn:${partitionOf(region)}:cloudtrail:${region}:${account}:trail/${props.trailName}`;

    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    }).logGroup;

    // Managed (not inline) policy, scoped to this one log group.
    const deliveryPolicy = new iam.ManagedPolicy(this, 'LogDeliveryPolicy', {
      description: 'CloudTrail delivery into the audit trail log group only',
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });
    const logsRole = new iam.Role(this, 'LogDeliveryRole', {
      description: 'Lets CloudTrail write the audit trail into its CloudWatch log group',
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      managedPolicies: [deliveryPolicy],
    });

    // All buckets, not only the PHI bucket: who read the audit trail itself is evidence too (AWS Config's
    // cloudtrail-s3-dataevents-enabled and CIS 3.10/3.11 ask for every bucket). `arn:<partition>:s3` = every bucket.
    const allBuckets = `arn:${partitionOf(region)}:s3`;
    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: props.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: props.encryptionKey.keyArn,
      s3BucketName: props.bucket.bucketName,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: logsRole.roleArn,
      eventSelectors: [
        {
          includeManagementEvents: true,
          readWriteType: 'All',
          dataResources: [{ type: 'AWS::S3::Object', values: [allBuckets] }],
        },
      ],
    });
    // CloudTrail checks bucket access and its role when the trail is created.
    if (props.bucket.policy) this.trail.node.addDependency(props.bucket.policy);
    this.trail.node.addDependency(logsRole, deliveryPolicy);
  }
}
