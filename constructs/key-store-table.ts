import { Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ProtectedResource } from './deletion-protection-after-create';
import { FIXED_NAME_REMOVAL } from './defaults';
import { PHI_CLASSIFICATION_TAG } from './phi-bucket';

/** The key table holds key material, not PHI: a PHI tag would invite backup selections and scans meant for PHI. */
export const KEY_MATERIAL_CLASSIFICATION_TAG = { key: PHI_CLASSIFICATION_TAG.key, value: 'key-material' } as const;

/** Shortest and longest point-in-time recovery window DynamoDB accepts. */
export const KEY_TABLE_RECOVERY_DAYS = { min: 1, max: 35 } as const;

export interface KeyStoreTableProps {
  /** Fixed name, so the service stack names the table as a plain string. */
  readonly tableName: string;
  /** CMK for the table (the wrapped keys in it are also wrapped under a KMS key). */
  readonly encryptionKey: kms.IKey;
  /** Point-in-time recovery window in days: how long a deleted (shredded) key can still be restored. */
  readonly recoveryPeriodDays: number;
}

/**
 * The conversation-key table: one wrapped data key per conversation and month (`conversationId`, `period`).
 * It lives outside the database so that deleting an item crypto-shreds that month of messages: RDS snapshots and
 * AWS Backup recovery points of the database hold only ciphertext. So this table is deliberately in no AWS Backup
 * selection; point-in-time recovery with a short window guards against accidental loss instead, and bounds how
 * long a shredded key survives. CMK-encrypted, on-demand, deletion-protected once its stack is created, retained.
 */
export class KeyStoreTable extends Construct {
  readonly table: dynamodb.Table;
  /** How DeletionProtectionAfterCreate turns on the table's deletion protection. */
  readonly protection: ProtectedResource;

  constructor(scope: Construct, id: string, props: KeyStoreTableProps) {
    super(scope, id);
    const days = props.recoveryPeriodDays;
    if (!Number.isInteger(days) || days < KEY_TABLE_RECOVERY_DAYS.min || days > KEY_TABLE_RECOVERY_DAYS.max) {
      throw new Error(`recoveryPeriodDays: ${days} must be a whole number from 1 to 35 (DynamoDB PITR window)`);
    }
    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: props.tableName,
      partitionKey: { name: 'conversationId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'period', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: days },
      // Deletion protection comes after the stack's create (see DeletionProtectionAfterCreate), so a failed first
      // deploy can roll the table back and be retried.
      removalPolicy: FIXED_NAME_REMOVAL,
    });
    this.protection = {
      id: 'KeyStoreTable',
      resource: this.table,
      call: {
        service: 'DynamoDB',
        action: 'UpdateTable',
        parameters: { TableName: this.table.tableName, DeletionProtectionEnabled: true },
        physicalResourceId: cr.PhysicalResourceId.of(`deletion-protection:${props.tableName}`),
      },
      permission: new iam.PolicyStatement({
        sid: 'ProtectKeyStoreTable',
        actions: ['dynamodb:UpdateTable'],
        resources: [this.table.tableArn],
      }),
    };
    Tags.of(this.table).add(KEY_MATERIAL_CLASSIFICATION_TAG.key, KEY_MATERIAL_CLASSIFICATION_TAG.value);

    const resource = this.table.node.defaultChild!;
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
      acknowledge(
        resource,
        `${pack}::${pack}-DynamoDBInBackupPlan`,
        'Crypto-shredding: deleting a conversation key must leave no copy, so the key table is kept out of AWS Backup ' +
          `by design. Compensating controls: point-in-time recovery (${days} days), deletion protection, retained on ` +
          'stack deletion, CMK encryption; the messages it unlocks are backed up with the database.',
      );
    }
  }
}
