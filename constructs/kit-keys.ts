import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { partitionOf } from '../core/partition';
import { STATEFUL_REMOVAL } from './defaults';

export interface KitKeysProps {
  /** Alias prefix, e.g. `hipaa-kit/example`. */
  readonly aliasPrefix: string;
  /** ARN of the CloudTrail trail, fixed so the audit key can scope `aws:SourceArn` without a cycle. */
  readonly trailArn: string;
}

const DATA_KEY_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/**
 * One customer-managed key per data domain, each rotating yearly and each granting only the AWS service
 * principals that must use it. IAM principals in the account get access through their own policies (grants).
 * - data: RDS, PHI bucket, secrets, SNS topics, EBS volumes, backups.
 * - logs: every CloudWatch log group.
 * - audit: the CloudTrail trail and its bucket.
 */
export class KitKeys extends Construct {
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly auditKey: kms.Key;

  constructor(scope: Construct, id: string, props: KitKeysProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': account } };

    this.dataKey = this.newKey('DataKey', `${props.aliasPrefix}/data`, 'PHI and application data');
    // Encrypted EBS volumes launched by Auto Scaling need its service-linked role (must exist before deploy).
    const autoScalingRole = `arn:${partition}:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AutoScalingEncryptedVolumes',
        principals: [new iam.ArnPrincipal(autoScalingRole)],
        actions: DATA_KEY_ACTIONS,
        resources: ['*'],
      }),
    );
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AutoScalingAttachVolumes',
        principals: [new iam.ArnPrincipal(autoScalingRole)],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    // CloudWatch alarms publish to CMK-encrypted SNS topics.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: sourceAccount,
      }),
    );

    // SNS itself publishes mobile-push platform-application events to the CMK-encrypted push events topic.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SnsPlatformApplicationEventsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: sourceAccount,
      }),
    );

    this.logsKey = this.newKey('LogsKey', `${props.aliasPrefix}/logs`, 'CloudWatch Logs');
    this.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsInThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` },
        },
      }),
    );

    this.auditKey = this.newKey('AuditKey', `${props.aliasPrefix}/audit`, 'CloudTrail audit trail');
    const { trailArn } = props;
    this.auditKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptLogs',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*`,
          },
        },
      }),
    );
    this.auditKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );
  }

  private newKey(id: string, alias: string, purpose: string): kms.Key {
    return new kms.Key(this, id, {
      alias,
      description: `HIPAA kit: ${purpose}`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      pendingWindow: Duration.days(30),
      removalPolicy: STATEFUL_REMOVAL,
    });
  }
}
