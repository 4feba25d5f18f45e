import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { statefulRemoval } from './defaults';

export interface EncryptedLogGroupProps {
  /** Customer-managed key; its policy must allow `logs.<region>.amazonaws.com`. */
  readonly encryptionKey: kms.IKey;
  /** Retention in days; must be a CloudWatch retention value. */
  readonly retentionDays: number;
  /** Explicit name, for services that write to a fixed group (RDS, WAF). @default - generated */
  readonly logGroupName?: string;
}

/**
 * A log group that is always CMK-encrypted, has an explicit retention and survives stack deletion (a named one is
 * removed only when its own create is rolled back).
 * Services that create their own groups (RDS, flow logs, Lambda) would make them unencrypted, so we pre-create them.
 */
export class EncryptedLogGroup extends Construct {
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Resource', {
      logGroupName: props.logGroupName,
      encryptionKey: props.encryptionKey,
      retention: props.retentionDays as logs.RetentionDays,
      removalPolicy: statefulRemoval(props.logGroupName),
    });
  }
}
