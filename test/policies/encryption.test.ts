import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildTestKit } from '../support/kit';
import { finding, findingsOf, testStack } from './support';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function kmsBucket(stack: Stack, id: string, keyId: unknown, props: Partial<s3.CfnBucketProps> = {}) {
  return new s3.CfnBucket(stack, id, {
    bucketEncryption: {
      serverSideEncryptionConfiguration: [
        { serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keyId as string } },
      ],
    },
    ...props,
  });
}

function sseS3Bucket(stack: Stack, id: string, tags?: { key: string; value: string }[]) {
  return new s3.CfnBucket(stack, id, {
    bucketEncryption: {
      serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    },
    tags,
  });
}

const EXCEPTION = 'hipaa-kit:sse-s3-exception';

describe('KMSKeyRotation', () => {
  test('compliant: rotating symmetric key; asymmetric keys are not judged', () => {
    const stack = testStack();
    new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    new kms.CfnKey(stack, 'Signing', { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
    expect(findingsOf(stack, 'KMSKeyRotation')).toEqual([]);
  });

  test('non-compliant: rotation off or unset', () => {
    const stack = testStack();
    const off = new kms.CfnKey(stack, 'Off', { enableKeyRotation: false });
    const unset = new kms.CfnKey(stack, 'Unset', {});
    expect(findingsOf(stack, 'KMSKeyRotation')).toEqual(
      [finding('KMSKeyRotation', off), finding('KMSKeyRotation', unset)].sort(),
    );
  });

  test('intrinsic: a parameter-valued rotation flag fails closed', () => {
    const stack = testStack();
    const key = new kms.CfnKey(stack, 'Key', {
      enableKeyRotation: new CfnParameter(stack, 'Rotate').valueAsString as unknown as boolean,
    });
    expect(findingsOf(stack, 'KMSKeyRotation')).toEqual([finding('KMSKeyRotation', key)]);
  });
});

describe('S3CustomerManagedKey', () => {
  test('compliant: SSE-KMS with a CMK, and an SSE-S3 log bucket with a stated exception', () => {
    const stack = testStack();
    const key = new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    kmsBucket(stack, 'Phi', key.attrArn);
    sseS3Bucket(stack, 'AlbLogs', [{ key: EXCEPTION, value: 'ALB access logs: ELB delivers with SSE-S3 only' }]);
    expect(findingsOf(stack, 'S3CustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: SSE-S3 without the tag, a too-short reason, the AWS-managed key, no encryption config', () => {
    const stack = testStack();
    const untagged = sseS3Bucket(stack, 'Untagged');
    const terse = sseS3Bucket(stack, 'Terse', [{ key: EXCEPTION, value: 'logs' }]);
    const awsManaged = kmsBucket(stack, 'AwsManaged', 'alias/aws/s3');
    const plain = new s3.CfnBucket(stack, 'Plain');
    expect(findingsOf(stack, 'S3CustomerManagedKey')).toEqual(
      [untagged, terse, awsManaged, plain].map((b) => finding('S3CustomerManagedKey', b)).sort(),
    );
  });

  test('intrinsic: an imported key ARN is a customer-managed key reference', () => {
    const stack = testStack();
    kmsBucket(stack, 'Imported', Fn.importValue('KeyArn'));
    expect(findingsOf(stack, 'S3CustomerManagedKey')).toEqual([]);
  });
});

describe('SNSCustomerManagedKey', () => {
  test('compliant: topic with a CMK', () => {
    const stack = testStack();
    new sns.CfnTopic(stack, 'Topic', { kmsMasterKeyId: KEY_ARN });
    expect(findingsOf(stack, 'SNSCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: unencrypted, or alias/aws/sns', () => {
    const stack = testStack();
    const plain = new sns.CfnTopic(stack, 'Plain');
    const managed = new sns.CfnTopic(stack, 'Managed', { kmsMasterKeyId: 'alias/aws/sns' });
    expect(findingsOf(stack, 'SNSCustomerManagedKey')).toEqual(
      [finding('SNSCustomerManagedKey', plain), finding('SNSCustomerManagedKey', managed)].sort(),
    );
  });

  test('intrinsic: a joined ARN is accepted unless its literal parts name an AWS-managed alias', () => {
    const stack = testStack();
    new sns.CfnTopic(stack, 'Joined', { kmsMasterKeyId: Fn.join('', ['arn:aws:kms:', Fn.importValue('Key')]) });
    const managed = new sns.CfnTopic(stack, 'Managed', {
      kmsMasterKeyId: Fn.join('', ['arn:aws:kms:us-east-1:', Fn.importValue('Account'), ':alias/aws/sns']),
    });
    expect(findingsOf(stack, 'SNSCustomerManagedKey')).toEqual([finding('SNSCustomerManagedKey', managed)]);
  });
});

describe('LogGroupCustomerManagedKey', () => {
  test('compliant: log group with KmsKeyId', () => {
    const stack = testStack();
    new logs.CfnLogGroup(stack, 'Logs', { kmsKeyId: KEY_ARN });
    expect(findingsOf(stack, 'LogGroupCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: no KmsKeyId', () => {
    const stack = testStack();
    const group = new logs.CfnLogGroup(stack, 'Logs', {});
    expect(findingsOf(stack, 'LogGroupCustomerManagedKey')).toEqual([finding('LogGroupCustomerManagedKey', group)]);
  });

  test('intrinsic: a Fn::GetAtt key ARN is present', () => {
    const stack = testStack();
    const key = new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    new logs.CfnLogGroup(stack, 'Logs', { kmsKeyId: key.attrArn });
    expect(findingsOf(stack, 'LogGroupCustomerManagedKey')).toEqual([]);
  });
});

describe('SecretCustomerManagedKey', () => {
  test('compliant: secret with a CMK', () => {
    const stack = testStack();
    new secretsmanager.CfnSecret(stack, 'Secret', { kmsKeyId: KEY_ARN });
    expect(findingsOf(stack, 'SecretCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: default key, or alias/aws/secretsmanager', () => {
    const stack = testStack();
    const plain = new secretsmanager.CfnSecret(stack, 'Plain', {});
    const managed = new secretsmanager.CfnSecret(stack, 'Managed', { kmsKeyId: 'alias/aws/secretsmanager' });
    expect(findingsOf(stack, 'SecretCustomerManagedKey')).toEqual(
      [finding('SecretCustomerManagedKey', plain), finding('SecretCustomerManagedKey', managed)].sort(),
    );
  });

  test('intrinsic: an imported key is accepted', () => {
    const stack = testStack();
    new secretsmanager.CfnSecret(stack, 'Secret', { kmsKeyId: Fn.importValue('Key') });
    expect(findingsOf(stack, 'SecretCustomerManagedKey')).toEqual([]);
  });
});

describe('EBSCustomerManagedKey', () => {
  const encrypted = { deviceName: '/dev/xvda', ebs: { encrypted: true, kmsKeyId: KEY_ARN, volumeSize: 8 } };

  test('compliant: instance, launch template and volume with a CMK; an instance-only template without mappings', () => {
    const stack = testStack();
    const bare = new ec2.CfnLaunchTemplate(stack, 'ImdsOnly', { launchTemplateData: {} });
    new ec2.CfnInstance(stack, 'Instance', {
      blockDeviceMappings: [encrypted],
      launchTemplate: { launchTemplateId: bare.ref, version: '1' },
    });
    new ec2.CfnLaunchTemplate(stack, 'Hosts', { launchTemplateData: { blockDeviceMappings: [encrypted] } });
    new ec2.CfnVolume(stack, 'Volume', {
      availabilityZone: 'us-east-1a',
      size: 10,
      encrypted: true,
      kmsKeyId: KEY_ARN,
    });
    expect(findingsOf(stack, 'EBSCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: unencrypted mapping, default key, AMI root volume, unencrypted volume', () => {
    const stack = testStack();
    const instance = new ec2.CfnInstance(stack, 'Instance', {
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { encrypted: false } },
        { deviceName: '/dev/sdb', virtualName: 'ephemeral0' },
      ],
    });
    const noMappings = new ec2.CfnInstance(stack, 'NoMappings', {});
    const template = new ec2.CfnLaunchTemplate(stack, 'Hosts', {
      launchTemplateData: { blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: true } }] },
    });
    const volume = new ec2.CfnVolume(stack, 'Volume', { availabilityZone: 'us-east-1a', size: 10 });
    expect(findingsOf(stack, 'EBSCustomerManagedKey')).toEqual(
      [
        finding('EBSCustomerManagedKey', instance, 'Device::/dev/xvda'),
        finding('EBSCustomerManagedKey', noMappings, 'Device::root'),
        finding('EBSCustomerManagedKey', template, 'Device::/dev/xvda'),
        finding('EBSCustomerManagedKey', volume, 'Device::volume'),
      ].sort(),
    );
  });

  test('intrinsic: imported key ids are present; a token Encrypted flag fails closed', () => {
    const stack = testStack();
    new ec2.CfnLaunchTemplate(stack, 'Hosts', {
      launchTemplateData: {
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: true, kmsKeyId: Fn.importValue('Key') } }],
      },
    });
    const flag = new ec2.CfnVolume(stack, 'Volume', {
      availabilityZone: 'us-east-1a',
      size: 10,
      encrypted: Fn.importValue('Encrypted') as unknown as boolean,
      kmsKeyId: KEY_ARN,
    });
    expect(findingsOf(stack, 'EBSCustomerManagedKey')).toEqual([
      finding('EBSCustomerManagedKey', flag, 'Device::volume'),
    ]);
  });
});

describe('RDSCustomerManagedKey', () => {
  const db = (stack: Stack, id: string, props: Partial<rds.CfnDBInstanceProps>) =>
    new rds.CfnDBInstance(stack, id, { dbInstanceClass: 'db.m6i.large', engine: 'postgres', ...props });

  test('compliant: encrypted storage and managed secret under a CMK; cluster members are judged via the cluster', () => {
    const stack = testStack();
    db(stack, 'Db', {
      storageEncrypted: true,
      kmsKeyId: KEY_ARN,
      manageMasterUserPassword: true,
      masterUserSecret: { kmsKeyId: KEY_ARN },
    });
    new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: KEY_ARN });
    db(stack, 'Member', { dbClusterIdentifier: 'cluster' });
    expect(findingsOf(stack, 'RDSCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: unencrypted, default key, managed secret on the default key', () => {
    const stack = testStack();
    const plain = db(stack, 'Plain', { manageMasterUserPassword: true });
    const cluster = new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-postgresql', storageEncrypted: true });
    expect(findingsOf(stack, 'RDSCustomerManagedKey')).toEqual(
      [
        finding('RDSCustomerManagedKey', plain, 'StorageEncrypted'),
        finding('RDSCustomerManagedKey', plain, 'KmsKeyId'),
        finding('RDSCustomerManagedKey', plain, 'MasterUserSecret::KmsKeyId'),
        finding('RDSCustomerManagedKey', cluster, 'KmsKeyId'),
      ].sort(),
    );
  });

  test('intrinsic: an imported key is present; a token StorageEncrypted fails closed', () => {
    const stack = testStack();
    const d = db(stack, 'Db', {
      storageEncrypted: Fn.importValue('Enc') as unknown as boolean,
      kmsKeyId: Fn.importValue('Key'),
    });
    expect(findingsOf(stack, 'RDSCustomerManagedKey')).toEqual([
      finding('RDSCustomerManagedKey', d, 'StorageEncrypted'),
    ]);
  });
});

describe('BackupVaultCustomerManagedKey', () => {
  test('compliant: vault with a CMK', () => {
    const stack = testStack();
    new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'v', encryptionKeyArn: KEY_ARN });
    expect(findingsOf(stack, 'BackupVaultCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: AWS-managed key (no EncryptionKeyArn)', () => {
    const stack = testStack();
    const vault = new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'v' });
    expect(findingsOf(stack, 'BackupVaultCustomerManagedKey')).toEqual([
      finding('BackupVaultCustomerManagedKey', vault),
    ]);
  });

  test('intrinsic: a Fn::GetAtt key is present', () => {
    const stack = testStack();
    const key = new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'v', encryptionKeyArn: key.attrArn });
    expect(findingsOf(stack, 'BackupVaultCustomerManagedKey')).toEqual([]);
  });
});

describe('DynamoDBCustomerManagedKey', () => {
  const keySchema = [{ attributeName: 'id', keyType: 'HASH' }];
  const attributeDefinitions = [{ attributeName: 'id', attributeType: 'S' }];
  const table = (stack: Stack, id: string, sseSpecification?: dynamodb.CfnTable.SSESpecificationProperty) =>
    new dynamodb.CfnTable(stack, id, { keySchema, attributeDefinitions, sseSpecification });

  test('compliant: a table (and a global table replica) under a customer-managed key', () => {
    const stack = testStack();
    const key = new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    table(stack, 'Keys', { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: key.attrArn });
    new dynamodb.CfnGlobalTable(stack, 'Global', {
      keySchema,
      attributeDefinitions,
      sseSpecification: { sseEnabled: true, sseType: 'KMS' },
      replicas: [{ region: 'us-east-1', sseSpecification: { kmsMasterKeyId: KEY_ARN } }],
    });
    expect(findingsOf(stack, 'DynamoDBCustomerManagedKey')).toEqual([]);
  });

  test('non-compliant: AWS-owned key (no SSE), AWS-managed key (no key id or alias/aws), SSE off, replica without key', () => {
    const stack = testStack();
    const owned = table(stack, 'Owned');
    const managed = table(stack, 'Managed', { sseEnabled: true, sseType: 'KMS' });
    const alias = table(stack, 'Alias', { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: 'alias/aws/dynamodb' });
    const off = table(stack, 'Off', { sseEnabled: false, kmsMasterKeyId: KEY_ARN });
    const global = new dynamodb.CfnGlobalTable(stack, 'Global', {
      keySchema,
      attributeDefinitions,
      sseSpecification: { sseEnabled: true, sseType: 'KMS' },
      replicas: [{ region: 'us-east-1', sseSpecification: { kmsMasterKeyId: KEY_ARN } }, { region: 'us-west-2' }],
    });
    expect(findingsOf(stack, 'DynamoDBCustomerManagedKey')).toEqual(
      [owned, managed, alias, off, global].map((t) => finding('DynamoDBCustomerManagedKey', t)).sort(),
    );
  });

  test('the kit key table is compliant in the whole kit', () => {
    const kit = buildTestKit();
    expect(findingsOf(kit.data, 'DynamoDBCustomerManagedKey')).toEqual([]);
  });
});
