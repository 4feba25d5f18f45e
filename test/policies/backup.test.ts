import { App, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { finding, findingsOf, testStack } from './support';

const PHI_TAG = [{ key: 'hipaa-kit:data-classification', value: 'phi' }];

function selection(
  stack: Stack,
  resources: unknown[],
  id = 'Selection',
  listOfTags?: backup.CfnBackupSelection.ConditionResourceTypeProperty[],
) {
  return new backup.CfnBackupSelection(stack, id, {
    backupPlanId: 'plan',
    backupSelection: {
      iamRoleArn: 'arn:aws:iam::123456789012:role/b',
      selectionName: id,
      resources: resources as string[],
      listOfTags,
    },
  });
}

const db = (stack: Stack, id = 'Db', props: Partial<rds.CfnDBInstanceProps> = {}) =>
  new rds.CfnDBInstance(stack, id, { dbInstanceClass: 'db.m6i.large', engine: 'postgres', ...props });

describe('RDSInBackupSelection', () => {
  test('compliant: by Ref in Fn::Join, by ARN in another stack, by wildcard, by tag', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'us-east-1' };
    const data = new Stack(app, 'Data', { env });
    const local = db(data, 'Local');
    selection(data, [Fn.join('', ['arn:aws:rds:us-east-1:123456789012:db:', local.ref])]);
    db(data, 'Named', { dbInstanceIdentifier: 'kit-postgres' });
    selection(new Stack(app, 'Backup', { env }), ['arn:aws:rds:us-east-1:123456789012:db:kit-postgres']);
    new rds.CfnDBCluster(data, 'Cluster', { engine: 'aurora-postgresql', dbClusterIdentifier: 'kit-cluster' });
    selection(data, ['arn:aws:rds:*:*:cluster:*'], 'Clusters');
    db(data, 'Tagged', { tags: [{ key: 'backup', value: 'daily' }] });
    selection(data, [], 'ByTag', [{ conditionType: 'STRINGEQUALS', conditionKey: 'backup', conditionValue: 'daily' }]);
    expect(findingsOf(data, 'RDSInBackupSelection')).toEqual([]);
  });

  test('non-compliant: no selection, or a selection naming another database', () => {
    const stack = testStack();
    const lonely = db(stack, 'Lonely', { dbInstanceIdentifier: 'kit-postgres' });
    selection(stack, ['arn:aws:rds:us-east-1:123456789012:db:other-postgres']);
    expect(findingsOf(stack, 'RDSInBackupSelection')).toEqual([finding('RDSInBackupSelection', lonely)]);
  });

  test('intrinsic: an unnamed database cannot be matched by an imported ARN (fails closed)', () => {
    const stack = testStack();
    const d = db(stack);
    selection(stack, [Fn.importValue('DbArn')]);
    expect(findingsOf(stack, 'RDSInBackupSelection')).toEqual([finding('RDSInBackupSelection', d)]);
  });
});

describe('S3PhiBucketInBackupSelection', () => {
  test('compliant: by GetAtt, and by name; non-PHI buckets are not judged', () => {
    const stack = testStack();
    const phi = new s3.CfnBucket(stack, 'Phi', { tags: PHI_TAG });
    new s3.CfnBucket(stack, 'Named', { bucketName: 'kit-phi', tags: PHI_TAG });
    selection(stack, [phi.attrArn, 'arn:aws:s3:::kit-phi']);
    new s3.CfnBucket(stack, 'Logs');
    expect(findingsOf(stack, 'S3PhiBucketInBackupSelection')).toEqual([]);
  });

  test('compliant: a selection in another stack, through a CDK cross-stack reference (followed after synth)', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'us-east-1' };
    const data = new Stack(app, 'Data', { env });
    new s3.CfnBucket(data, 'Phi', { tags: PHI_TAG });
    const phi = new s3.CfnBucket(data, 'Phi2', { tags: PHI_TAG });
    selection(new Stack(app, 'Backup', { env }), [phi.attrArn]);
    app.synth(); // turns the reference into an export/import pair, as in a real synth
    expect(findingsOf(data, 'S3PhiBucketInBackupSelection')).toEqual([
      'Pillars-S3PhiBucketInBackupSelection @ Data/Phi',
    ]);
  });

  test('non-compliant: the PHI bucket is in no selection', () => {
    const stack = testStack();
    const phi = new s3.CfnBucket(stack, 'Phi', { bucketName: 'kit-phi', tags: PHI_TAG });
    selection(stack, ['arn:aws:s3:::kit-logs']);
    expect(findingsOf(stack, 'S3PhiBucketInBackupSelection')).toEqual([finding('S3PhiBucketInBackupSelection', phi)]);
  });

  test('intrinsic: a wildcard covers an unnamed bucket; an imported ARN does not', () => {
    const stack = testStack();
    new s3.CfnBucket(stack, 'Phi', { tags: PHI_TAG });
    selection(stack, [Fn.importValue('Arn'), '*']);
    expect(findingsOf(stack, 'S3PhiBucketInBackupSelection')).toEqual([]);
    const other = testStack('Other');
    const unnamed = new s3.CfnBucket(other, 'Phi', { tags: PHI_TAG });
    selection(other, [Fn.importValue('Arn')]);
    expect(findingsOf(other, 'S3PhiBucketInBackupSelection')).toEqual([
      finding('S3PhiBucketInBackupSelection', unnamed),
    ]);
  });
});

describe('FixedNameRetainExceptOnCreate', () => {
  test('compliant: named and RetainExceptOnCreate; unnamed and Retain; named without protection in the template', () => {
    const stack = testStack();
    const named = new s3.CfnBucket(stack, 'Named', { bucketName: 'fixed-name' });
    named.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    new s3.CfnBucket(stack, 'Unnamed').applyRemovalPolicy(RemovalPolicy.RETAIN);
    db(stack, 'Db', { dbInstanceIdentifier: 'fixed-db' }).applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    new logs.CfnLogGroup(stack, 'Logs', { logGroupName: '/fixed' }).applyRemovalPolicy(
      RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    );
    expect(findingsOf(stack, 'FixedNameRetainExceptOnCreate')).toEqual([]);
  });

  test('non-compliant: a named Retain bucket and log group; a named database and table protected in the template', () => {
    const stack = testStack();
    const bucket = new s3.CfnBucket(stack, 'Named', { bucketName: 'fixed-name' });
    bucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const group = new logs.CfnLogGroup(stack, 'Logs', { logGroupName: '/fixed' });
    group.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const database = db(stack, 'Db', { dbInstanceIdentifier: 'fixed-db', deletionProtection: true });
    database.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    const table = new dynamodb.CfnTable(stack, 'Table', {
      tableName: 'fixed-table',
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      deletionProtectionEnabled: true,
    });
    table.applyRemovalPolicy(RemovalPolicy.RETAIN);
    expect(findingsOf(stack, 'FixedNameRetainExceptOnCreate')).toEqual(
      [
        finding('FixedNameRetainExceptOnCreate', bucket, 'Retain::AWS::S3::Bucket'),
        finding('FixedNameRetainExceptOnCreate', group, 'Retain::AWS::Logs::LogGroup'),
        finding('FixedNameRetainExceptOnCreate', database, 'ProtectedInTemplate::AWS::RDS::DBInstance'),
        finding('FixedNameRetainExceptOnCreate', table, 'Retain::AWS::DynamoDB::Table'),
        finding('FixedNameRetainExceptOnCreate', table, 'ProtectedInTemplate::AWS::DynamoDB::Table'),
      ].sort(),
    );
  });

  test('a DeletionPolicy set by a raw override counts', () => {
    const stack = testStack();
    const bucket = new s3.CfnBucket(stack, 'Named', { bucketName: 'fixed-name' });
    bucket.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    bucket.addOverride('DeletionPolicy', 'Retain');
    expect(findingsOf(stack, 'FixedNameRetainExceptOnCreate')).toEqual([
      finding('FixedNameRetainExceptOnCreate', bucket, 'Retain::AWS::S3::Bucket'),
    ]);
  });
});
