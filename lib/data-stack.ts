import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KitBackupPlan } from '../constructs/backup-plan';
import { DeletionProtectionAfterCreate } from '../constructs/deletion-protection-after-create';
import { EncryptedDatabase } from '../constructs/encrypted-database';
import { KeyStoreTable } from '../constructs/key-store-table';
import { KitKeys } from '../constructs/kit-keys';
import { PhiBucket } from '../constructs/phi-bucket';
import { kitNames } from '../core/naming';
import { KitStack, KitStackProps } from './kit-stack';

export interface DataStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly accessLogsBucket: s3.IBucket;
  readonly opsTopic: sns.ITopic;
}

/**
 * Where PHI lives, stateful: RDS PostgreSQL 18, the PHI attachments bucket, and their AWS Backup plan; and the
 * conversation-key table, deliberately outside that plan (crypto-shredding).
 */
export class DataStack extends KitStack {
  /** Grant clients with `database.connections.allowDefaultPortFrom(sg)` and `database.grantConnect(role, user)`. */
  readonly database: rds.DatabaseInstance;
  /** RDS-managed master-user secret (JSON `username`/`password`), encrypted with the data key. */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly phiBucket: s3.Bucket;
  readonly backupPlan: KitBackupPlan;
  /** Wrapped per-conversation, per-month data keys (`conversationId`, `period`); in no backup selection. */
  readonly keyStoreTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, stateful: true });
    const { config, keys } = props;
    const names = kitNames(config);
    const { resourcePrefix } = names;

    this.phiBucket = new PhiBucket(this, 'PhiBucket', {
      bucketName: names.phiBucketName,
      encryptionKey: keys.dataKey,
      serverAccessLogsBucket: props.accessLogsBucket,
    }).bucket;

    const database = new EncryptedDatabase(this, 'Database', {
      vpc: props.vpc,
      encryptionKey: keys.dataKey,
      logsKey: keys.logsKey,
      logRetentionDays: config.logRetentionDays,
      instanceIdentifier: `${resourcePrefix}-postgres`,
      instanceClass: config.database.instanceClass,
      port: config.database.port,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      backupRetentionDays: config.database.backupRetentionDays,
      databaseName: config.database.databaseName,
      createOsMetricsLogGroup: config.database.createOsMetricsLogGroup,
      alarmTopic: props.opsTopic,
    });
    this.database = database.instance;
    this.databaseSecret = database.masterSecret;

    const keyStore = new KeyStoreTable(this, 'KeyStoreTable', {
      tableName: names.keyTableName,
      encryptionKey: keys.dataKey,
      recoveryPeriodDays: config.messaging.keyTableRecoveryDays,
    });
    this.keyStoreTable = keyStore.table;

    // The key table is not listed here: a recovery point of it would outlive every shredded key.
    this.backupPlan = new KitBackupPlan(this, 'Backup', {
      backupVaultName: `${resourcePrefix}-vault`,
      backupPlanName: `${resourcePrefix}-daily`,
      encryptionKey: keys.dataKey,
      retentionDays: config.backup.retentionDays,
      vaultLock: config.backup.vaultLock,
      resources: [
        backup.BackupResource.fromRdsDatabaseInstance(this.database),
        backup.BackupResource.fromArn(this.phiBucket.bucketArn),
      ],
    });

    // Last: the database and key table are protected only once nothing else in this stack can fail its first create.
    new DeletionProtectionAfterCreate(this, 'DeletionProtection', {
      resources: [database.protection, keyStore.protection],
      logsKey: keys.logsKey,
      logRetentionDays: config.logRetentionDays,
    }).lastInStack();
  }
}
