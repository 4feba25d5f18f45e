import { CfnOutput, Fn } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AccessLogsBucket } from '../constructs/access-logs-bucket';
import { AuditBucket } from '../constructs/audit-bucket';
import { AuditTrail } from '../constructs/audit-trail';
import { CisAlarms } from '../constructs/cis-alarms';
import { KitKeys } from '../constructs/kit-keys';
import { OpsTopic } from '../constructs/ops-topic';
import { cloudWatchRetentionAtLeast } from '../core/limits';
import { kitNames } from '../core/naming';
import { KitStack, KitStackProps } from './kit-stack';

export interface AuditStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/**
 * Audit controls (164.312(b)), stateful: the multi-region CloudTrail with S3 data events on the PHI bucket,
 * its Object-Locked bucket, the access-log sink, the CIS monitoring alarms and the ops alarm topic.
 */
/** Output id (and name) of the audit bucket's name. */
export const AUDIT_BUCKET_NAME_OUTPUT = 'AuditBucketName';

export class AuditStack extends KitStack {
  /**
   * SSE-S3 bucket receiving S3 server access logs of every kit bucket and the ALB access logs
   * (call `alb.logAccessLogs(accessLogsBucket, 'alb')`, which adds the ELB delivery policy).
   */
  readonly accessLogsBucket: s3.Bucket;
  /** CMK-encrypted (data key), TLS-only topic for alarms and security notifications. */
  readonly opsTopic: sns.Topic;
  /** The trail's CloudTrail bucket (Object Lock, audit key). */
  readonly auditBucket: s3.Bucket;
  readonly trail: AuditTrail;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, { ...props, stateful: true });
    const { config, keys } = props;
    const names = kitNames(config);
    const { trailArn } = names;

    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogsBucket', {
      retentionDays: config.auditRetentionDays,
    }).bucket;

    this.auditBucket = new AuditBucket(this, 'AuditBucket', {
      encryptionKey: keys.auditKey,
      retentionDays: config.auditRetentionDays,
      serverAccessLogsBucket: this.accessLogsBucket,
      trailArn,
      account: this.account,
    }).bucket;

    // A fixed output name, so another stack reads it as a plain Fn::GetStackOutput (see auditBucketNameForOtherStacks).
    new CfnOutput(this, AUDIT_BUCKET_NAME_OUTPUT, {
      description: 'The Object Lock audit bucket (CloudTrail logs, Session Manager transcripts)',
      value: this.auditBucket.bucketName,
    });

    this.opsTopic = new OpsTopic(this, 'OpsTopic', { masterKey: keys.dataKey, email: config.alarmEmail }).topic;

    this.trail = new AuditTrail(this, 'AuditTrail', {
      trailName: names.trailName,
      bucket: this.auditBucket,
      encryptionKey: keys.auditKey,
      logsKey: keys.logsKey,
      logRetentionDays: cloudWatchRetentionAtLeast(config.auditRetentionDays),
    });

    new CisAlarms(this, 'CisAlarms', {
      logGroup: this.trail.logGroup,
      alarmTopic: this.opsTopic,
      metricNamespace: `HipaaKit/${config.profileName}/CIS`,
    });
  }

  /**
   * The audit bucket's name as another stack reads it: this stack's fixed-name output. Unlike CDK's generated
   * cross-stack output, the reference is the same string in every build, so an acknowledgement can name it. The
   * reading stack must depend on this one.
   */
  auditBucketNameForOtherStacks(): string {
    return Fn.getStackOutput(this.stackName, AUDIT_BUCKET_NAME_OUTPUT, this.region);
  }
}
