import { Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { statefulRemoval } from './defaults';

/** AWS-managed service-role policies AWS Backup needs to back up RDS and S3 (S3 has its own). */
const BACKUP_MANAGED_POLICIES = [
  'service-role/AWSBackupServiceRolePolicyForBackup',
  'AWSBackupServiceRolePolicyForS3Backup',
];

export interface KitBackupPlanProps {
  /** CMK for the vault's recovery points. */
  readonly encryptionKey: kms.IKey;
  /** Days each daily recovery point is kept. */
  readonly retentionDays: number;
  /**
   * Turn on Backup Vault Lock in governance mode: recovery points cannot be deleted before `retentionDays`
   * (a user with `backup:DeleteBackupVaultLockConfiguration` can still remove the lock).
   */
  readonly vaultLock: boolean;
  /** What to back up. Every S3 bucket listed must have versioning on. */
  readonly resources: backup.BackupResource[];
  /** @default - generated */
  readonly backupVaultName?: string;
  /** @default - generated */
  readonly backupPlanName?: string;
}

/**
 * Daily AWS Backup of the database and the PHI bucket (164.308(a)(7)(ii)(A) data backup plan), into a CMK vault
 * that is retained on stack deletion and, optionally, locked.
 */
export class KitBackupPlan extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: KitBackupPlanProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    const retention = Duration.days(props.retentionDays);

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.backupVaultName,
      encryptionKey: props.encryptionKey,
      removalPolicy: statefulRemoval(props.backupVaultName),
      lockConfiguration: props.vaultLock ? { minRetention: retention } : undefined,
    });

    this.plan = new backup.BackupPlan(this, 'Resource', {
      backupPlanName: props.backupPlanName,
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '5', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter: retention,
        }),
      ],
    });

    this.role = new iam.Role(this, 'Role', {
      description: 'AWS Backup takes and stores recovery points of the kit database and PHI bucket',
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      managedPolicies: BACKUP_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    // Recovery points of SSE-KMS objects are read and re-encrypted under the vault's CMK (customer-managed
    // policy, not inline: the HIPAA and NIST packs refuse inline policies).
    new iam.ManagedPolicy(this, 'VaultKeyPolicy', {
      description: 'AWS Backup uses the kit data key for PHI recovery points',
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'kms:Decrypt',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:DescribeKey',
          ],
          resources: [props.encryptionKey.keyArn],
        }),
      ],
    });
    for (const name of BACKUP_MANAGED_POLICIES) {
      acknowledge(
        this.role,
        `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        'AWS Backup requires its AWS-maintained service-role policies for RDS and S3 backups. Compensating control: only backup.amazonaws.com from this account can assume the role, and the plan selects only the kit resources.',
      );
    }

    this.plan.addSelection('Selection', {
      resources: props.resources,
      role: this.role,
      // The role above already carries the backup policies, including the S3 one CDK does not add.
      disableDefaultBackupPolicy: true,
    });
  }
}
