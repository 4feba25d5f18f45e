import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { KitStack, KitStackProps } from './kit-stack';

export interface AuditStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/** SKELETON (helper K2 replaces): CloudTrail, audit bucket, access-log bucket, CIS alarms, ops topic. */
export class AuditStack extends KitStack {
  /** SSE-S3 bucket receiving S3 server access logs and ALB access logs. */
  readonly accessLogsBucket: s3.Bucket;
  /** CMK-encrypted topic for alarms and security notifications. */
  readonly opsTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, { ...props, stateful: true });
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket');
    this.opsTopic = new sns.Topic(this, 'OpsTopic', { masterKey: props.keys.dataKey });
  }
}
