import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KEY_MATERIAL_CLASSIFICATION_TAG, KeyStoreTable } from '../constructs/key-store-table';
import { PHI_CLASSIFICATION_TAG } from '../constructs/phi-bucket';
import { inBackupSelection } from '../policies/rules/helpers/backup-selection';
import { buildTestKit, templateOf } from './support/kit';

/** A rendered template resource plus its logical id. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resource = { logicalId: string } & Record<string, any>;

/** The single resource of a type, failing when there is not exactly one. */
function only(template: Template, type: string, props: object = {}): Resource {
  const found = template.findResources(type, props);
  expect(Object.keys(found)).toHaveLength(1);
  return { logicalId: Object.keys(found)[0], ...Object.values(found)[0] };
}

/** True when a rendered value refers to the given Keys-stack key (via its cross-stack output). */
const refersTo = (value: unknown, keyId: 'DataKey' | 'LogsKey' | 'AuditKey') =>
  JSON.stringify(value).includes(`Keys${keyId}`);

describe('Data stack', () => {
  const template = templateOf('data');
  const db = only(template, 'AWS::RDS::DBInstance');

  describe('EncryptedDatabase', () => {
    test('PostgreSQL 18, Multi-AZ, the configured class, gp3, retained (except when its own create rolls back)', () => {
      expect(db.Properties).toMatchObject({
        Engine: 'postgres',
        EngineVersion: '18',
        MultiAZ: true,
        DBInstanceClass: 'db.m6i.large',
        DBInstanceIdentifier: 'hipaa-kit-example-postgres',
        StorageType: 'gp3',
        AllocatedStorage: '50',
        DBName: 'messaging',
      });
      expect(db.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(db.UpdateReplacePolicy).toBe('Retain');
    });

    test('storage encrypted with the data key', () => {
      expect(db.Properties.StorageEncrypted).toBe(true);
      expect(refersTo(db.Properties.KmsKeyId, 'DataKey')).toBe(true);
    });

    test('IAM auth and an RDS-managed master secret under the data key, no password in the template', () => {
      expect(db.Properties.EnableIAMDatabaseAuthentication).toBe(true);
      expect(db.Properties.ManageMasterUserPassword).toBe(true);
      expect(refersTo(db.Properties.MasterUserSecret.KmsKeyId, 'DataKey')).toBe(true);
      expect(db.Properties.MasterUserPassword).toBeUndefined();
      expect(db.Properties.MasterUsername).toBe('kit_admin');
    });

    test('no rotation Lambda and no CDK-generated secret (RDS rotates the managed secret itself)', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      // The one function is the deploy-time deletion-protection handler (not in the VPC, no secret access).
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(1);
      expect(functions[0].Properties.VpcConfig).toBeUndefined();
      template.resourceCountIs('AWS::Serverless::Application', 0);
    });

    test('non-default port, 35-day backups, snapshot tags, minor upgrades', () => {
      expect(db.Properties).toMatchObject({
        Port: '5532',
        BackupRetentionPeriod: 35,
        CopyTagsToSnapshot: true,
        AutoMinorVersionUpgrade: true,
        AllowMajorVersionUpgrade: false,
        PubliclyAccessible: false,
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      });
    });

    test('port and backup retention follow the config', () => {
      const other = only(
        templateOf('data', { database: { port: 6543, backupRetentionDays: 14 } }),
        'AWS::RDS::DBInstance',
      );
      expect(other.Properties.Port).toBe('6543');
      expect(other.Properties.BackupRetentionPeriod).toBe(14);
    });

    test('Performance Insights with the data key, enhanced monitoring every 60 s', () => {
      expect(db.Properties.EnablePerformanceInsights).toBe(true);
      expect(refersTo(db.Properties.PerformanceInsightsKMSKeyId, 'DataKey')).toBe(true);
      expect(db.Properties.MonitoringInterval).toBe(60);
      const [roleId] = db.Properties.MonitoringRoleArn['Fn::GetAtt'];
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
        Principal: { Service: 'monitoring.rds.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      });
    });

    test('exports postgresql and upgrade logs into pre-created CMK log groups it waits for', () => {
      expect(db.Properties.EnableCloudwatchLogsExports).toEqual(['postgresql', 'upgrade']);
      for (const type of ['postgresql', 'upgrade']) {
        const group = only(template, 'AWS::Logs::LogGroup', {
          Properties: { LogGroupName: `/aws/rds/instance/hipaa-kit-example-postgres/${type}` },
        });
        expect(refersTo(group.Properties.KmsKeyId, 'LogsKey')).toBe(true);
        expect(group.Properties.RetentionInDays).toBe(731);
        expect(group.DeletionPolicy).toBe('RetainExceptOnCreate'); // fixed name: a retried create must not clash
        expect(db.DependsOn).toContain(group.logicalId);
      }
      const osMetrics = only(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: 'RDSOSMetrics' } });
      expect(db.DependsOn).toContain(osMetrics.logicalId);
    });

    test('parameter group forces TLS and loads pgaudit without logging bound values', () => {
      const params = only(template, 'AWS::RDS::DBParameterGroup');
      expect(db.Properties.DBParameterGroupName).toEqual({ Ref: params.logicalId });
      expect(params.Properties.Family).toBe('postgres18');
      expect(params.Properties.Parameters).toMatchObject({
        'rds.force_ssl': '1',
        'pgaudit.log': 'ddl,role',
        'pgaudit.log_parameter': '0',
        'pgaudit.role': 'rds_pgaudit',
      });
      expect(params.Properties.Parameters.shared_preload_libraries.split(',')).toContain('pgaudit');
    });

    test('sits in the isolated subnets', () => {
      const subnets = only(template, 'AWS::RDS::DBSubnetGroup');
      expect(db.Properties.DBSubnetGroupName).toEqual({ Ref: subnets.logicalId });
      const ids = JSON.stringify(subnets.Properties.SubnetIds);
      expect(ids).toMatch(/Isolated/);
      expect(ids).not.toMatch(/Private|Public/);
    });

    test('its security group opens nothing by itself and has no egress', () => {
      const sg = only(template, 'AWS::EC2::SecurityGroup');
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
      expect(sg.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ]);
      expect(db.Properties.VPCSecurityGroups).toEqual([{ 'Fn::GetAtt': [sg.logicalId, 'GroupId'] }]);
    });

    test('storage and CPU alarms notify the ops topic', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['CPUUtilization', 'FreeStorageSpace']);
      for (const alarm of alarms) expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/OpsTopic/);
    });

    test('exposes the managed secret and the instance for the service and bastion stacks', () => {
      const kit = buildTestKit();
      expect(kit.data.databaseSecret).toBeDefined();
      expect(kit.data.database.secret).toBe(kit.data.databaseSecret);
      expect(kit.data.databaseSecret.encryptionKey).toBe(kit.keys.keys.dataKey);
    });
  });

  describe('PhiBucket', () => {
    const bucket = only(template, 'AWS::S3::Bucket');

    test('has the fixed name the audit trail selects data events for', () => {
      expect(bucket.Properties.BucketName).toBe('hipaa-kit-example-phi-123456789012-us-east-1');
    });

    test('SSE-KMS with the data key and an S3 Bucket Key', () => {
      const sse = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
      expect(sse.BucketKeyEnabled).toBe(true);
      expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(refersTo(sse.ServerSideEncryptionByDefault.KMSMasterKeyID, 'DataKey')).toBe(true);
    });

    test('versioned, public access blocked, ACLs disabled, no CORS, retained', () => {
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
      expect(bucket.Properties.CorsConfiguration).toBeUndefined();
      // Fixed name: kept on delete and replace, removed only when its own create rolls back (it is empty then).
      expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
    });

    test('server access logs go to the audit stack access-log bucket', () => {
      expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('phi-bucket/');
      expect(JSON.stringify(bucket.Properties.LoggingConfiguration.DestinationBucketName)).toMatch(/AccessLogsBucket/);
    });

    test('noncurrent versions expire; incomplete uploads are aborted', () => {
      expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
        expect.objectContaining({
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ]);
    });

    test('is tagged as PHI', () => {
      expect(bucket.Properties.Tags).toContainEqual({
        Key: PHI_CLASSIFICATION_TAG.key,
        Value: PHI_CLASSIFICATION_TAG.value,
      });
      expect(PHI_CLASSIFICATION_TAG).toEqual({ key: 'hipaa-kit:data-classification', value: 'phi' });
    });

    test('denies non-TLS, TLS below 1.2, and uploads under any encryption but the data key', () => {
      const policy = only(template, 'AWS::S3::BucketPolicy');
      const statements = policy.Properties.PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          expect.objectContaining({
            Sid: 'DenyNonKmsEncryption',
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
          }),
        ]),
      );
      const otherKeys = statements.find((s: { Sid?: string }) => s.Sid === 'DenyOtherKmsKeys');
      expect(
        refersTo(
          otherKeys.Condition.StringNotEqualsIfExists['s3:x-amz-server-side-encryption-aws-kms-key-id'],
          'DataKey',
        ),
      ).toBe(true);
    });
  });

  describe('KitBackupPlan', () => {
    const vault = only(template, 'AWS::Backup::BackupVault');

    test('vault encrypted with the data key and retained; no lock unless configured', () => {
      expect(vault.Properties.BackupVaultName).toBe('hipaa-kit-example-vault');
      expect(refersTo(vault.Properties.EncryptionKeyArn, 'DataKey')).toBe(true);
      expect(vault.Properties.LockConfiguration).toBeUndefined();
      expect(vault.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(vault.UpdateReplacePolicy).toBe('Retain');
    });

    test('vault lock (governance) keeps recovery points for the configured retention', () => {
      const locked = only(
        templateOf('data', { backup: { vaultLock: true, retentionDays: 90 } }),
        'AWS::Backup::BackupVault',
      );
      expect(locked.Properties.LockConfiguration).toEqual({ MinRetentionDays: 90 });
    });

    test('daily plan keeps recovery points for backup.retentionDays', () => {
      template.hasResourceProperties('AWS::Backup::BackupPlan', {
        BackupPlan: {
          BackupPlanName: 'hipaa-kit-example-daily',
          BackupPlanRule: [
            Match.objectLike({
              RuleName: 'Daily',
              ScheduleExpression: 'cron(0 5 * * ? *)',
              Lifecycle: { DeleteAfterDays: 35 },
              TargetBackupVault: { 'Fn::GetAtt': [vault.logicalId, 'BackupVaultName'] },
            }),
          ],
        },
      });
    });

    test('selects the database and the PHI bucket', () => {
      const selection = only(template, 'AWS::Backup::BackupSelection');
      const resources = JSON.stringify(selection.Properties.BackupSelection.Resources);
      expect(resources).toContain(`{"Ref":"${db.logicalId}"}`);
      const bucketId = only(template, 'AWS::S3::Bucket').logicalId;
      expect(resources).toContain(`{"Fn::GetAtt":["${bucketId}","Arn"]}`);
    });

    test('its role is assumable by AWS Backup of this account and carries the S3 backup policy', () => {
      const selection = only(template, 'AWS::Backup::BackupSelection');
      const [roleId] = selection.Properties.BackupSelection.IamRoleArn['Fn::GetAtt'];
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
        Principal: { Service: 'backup.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      });
      const policies = JSON.stringify(role.Properties.ManagedPolicyArns);
      expect(policies).toContain(':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup');
      expect(policies).toContain(':iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup');
    });
  });

  describe('KeyStoreTable', () => {
    const table = only(template, 'AWS::DynamoDB::Table');

    test('keyed by conversation and period, with the fixed name the service is given, on-demand', () => {
      expect(table.Properties).toMatchObject({
        TableName: 'hipaa-kit-example-conversation-keys',
        KeySchema: [
          { AttributeName: 'conversationId', KeyType: 'HASH' },
          { AttributeName: 'period', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'conversationId', AttributeType: 'S' },
          { AttributeName: 'period', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
      expect(table.Properties.StreamSpecification).toBeUndefined(); // a stream would be one more copy of the keys
    });

    test('encrypted with the data key (customer managed)', () => {
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(refersTo(table.Properties.SSESpecification.KMSMasterKeyId, 'DataKey')).toBe(true);
    });

    test('point-in-time recovery on with the short configured window; retained except on a failed create', () => {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
        RecoveryPeriodInDays: 7,
      });
      expect(table.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      const other = only(templateOf('data', { messaging: { keyTableRecoveryDays: 2 } }), 'AWS::DynamoDB::Table');
      expect(other.Properties.PointInTimeRecoverySpecification.RecoveryPeriodInDays).toBe(2);
    });

    test('tagged as key material, not PHI', () => {
      const tags = table.Properties.Tags as { Key: string; Value: string }[];
      expect(tags).toContainEqual({ Key: KEY_MATERIAL_CLASSIFICATION_TAG.key, Value: 'key-material' });
      expect(tags.filter((t) => t.Key === PHI_CLASSIFICATION_TAG.key)).toHaveLength(1);
    });

    test('is in no AWS Backup selection (by reference, ARN, wildcard or tag), unlike the database', () => {
      const kit = buildTestKit();
      const cfn = (id: string) =>
        kit.data.node.findChild(id).node.findChild('Resource').node.defaultChild as CfnResource;
      const tableNode = cfn('KeyStoreTable');
      expect(tableNode.cfnResourceType).toBe('AWS::DynamoDB::Table');
      // The Pillars pack's own selection matcher, given an ARN test that accepts anything naming the table.
      expect(inBackupSelection(tableNode, (arn) => /dynamodb|conversation-keys/.test(arn))).toBe(false);
      expect(inBackupSelection(cfn('PhiBucket'), (arn) => arn.includes(':s3:::'))).toBe(true); // the matcher works
      const selection = only(template, 'AWS::Backup::BackupSelection').Properties.BackupSelection;
      expect(JSON.stringify(selection)).not.toMatch(new RegExp(`${table.logicalId}|dynamodb|conversation-keys`));
      expect(selection.ListOfTags).toBeUndefined();
    });

    test('the backup exclusion is acknowledged on the table alone, with the crypto-shredding reason', () => {
      const kit = buildTestKit();
      const resource = kit.data.keyStoreTable.node.defaultChild!;
      const acks = resource.node.metadata.filter((m) => JSON.stringify(m.data).includes('DynamoDBInBackupPlan'));
      expect(acks.map((m) => JSON.stringify(m.data))).toEqual([
        expect.stringMatching(/HIPAA\.Security::HIPAA\.Security-DynamoDBInBackupPlan.*Crypto-shredding/),
        expect.stringMatching(/NIST\.800\.53\.R5::NIST\.800\.53\.R5-DynamoDBInBackupPlan.*Crypto-shredding/),
      ]);
    });

    test('refuses a recovery window DynamoDB does not accept', () => {
      const stack = new Stack();
      const encryptionKey = new kms.Key(stack, 'Key');
      for (const days of [0, 36, 7.5]) {
        expect(
          () => new KeyStoreTable(stack, `T${days}`, { tableName: 't', encryptionKey, recoveryPeriodDays: days }),
        ).toThrow(/recoveryPeriodDays: .* must be a whole number from 1 to 35/);
      }
    });
  });

  test('no inline IAM policies (the HIPAA and NIST packs refuse them)', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('every log group is CMK-encrypted with explicit retention and retained (named ones except on a failed create)', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(4); // RDS postgresql, upgrade, RDSOSMetrics, and the deletion-protection handler
    for (const group of groups) {
      expect(refersTo(group.Properties.KmsKeyId, 'LogsKey')).toBe(true);
      expect(group.Properties.RetentionInDays).toBe(731);
      expect(group.DeletionPolicy).toBe(group.Properties.LogGroupName ? 'RetainExceptOnCreate' : 'Retain');
    }
  });

  describe('DeletionProtectionAfterCreate', () => {
    const protections = template.findResources('Custom::DeletionProtectionAfterCreate');
    const protectionOf = (action: string) => {
      const found = Object.entries(protections).filter(([, r]) => JSON.stringify(r.Properties.Create).includes(action));
      expect(found).toHaveLength(1);
      return { logicalId: found[0][0], ...found[0][1] } as Resource;
    };

    test('the template states no deletion protection: a failed first create can roll the database and table back', () => {
      expect(db.Properties.DeletionProtection).toBeUndefined();
      expect(only(template, 'AWS::DynamoDB::Table').Properties.DeletionProtectionEnabled).toBeUndefined();
    });

    test('turns protection on for the database and the key table, on create and on update', () => {
      expect(Object.keys(protections)).toHaveLength(2);
      const database = protectionOf('ModifyDBInstance');
      const table = protectionOf('UpdateTable');
      expect(JSON.stringify(database.Properties.Create)).toContain('\\"DeletionProtection\\":true');
      expect(JSON.stringify(database.Properties.Create)).toContain('\\"ApplyImmediately\\":true');
      expect(JSON.stringify(table.Properties.Create)).toContain('\\"DeletionProtectionEnabled\\":true');
      for (const p of [database, table]) expect(p.Properties.Update).toEqual(p.Properties.Create);
    });

    test('runs last: each depends on every other resource of the stack', () => {
      const handlerParts = new Set(
        Object.entries(template.toJSON().Resources as Record<string, Resource>)
          .filter(
            ([id, r]) =>
              r.Type === 'Custom::DeletionProtectionAfterCreate' ||
              id.startsWith('AWS679f53fac002430cb0da5b7982bd2287') ||
              id.startsWith('DeletionProtection'),
          )
          .map(([id]) => id),
      );
      const others = Object.keys(template.toJSON().Resources).filter((id) => !handlerParts.has(id));
      expect(others.length).toBeGreaterThan(10);
      for (const p of Object.values(protections)) expect(p.DependsOn).toEqual(expect.arrayContaining(others));
    });

    test('its role has only a customer-managed policy, scoped to the two resources', () => {
      const policy = only(template, 'AWS::IAM::ManagedPolicy', {
        Properties: { Description: Match.stringLikeRegexp('deletion protection') },
      });
      const statements = policy.Properties.PolicyDocument.Statement;
      expect(statements.map((s: Resource) => s.Action)).toEqual([
        'rds:ModifyDBInstance',
        'dynamodb:UpdateTable',
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ]);
      for (const s of statements) expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    });
  });
});

describe('an existing RDSOSMetrics log group', () => {
  test('is left alone when database.createOsMetricsLogGroup is false', () => {
    const template = templateOf('data', { database: { createOsMetricsLogGroup: false } });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { LogGroupName: 'RDSOSMetrics' }, 0);
    templateOf('data').resourcePropertiesCountIs('AWS::Logs::LogGroup', { LogGroupName: 'RDSOSMetrics' }, 1);
  });
});
