import { Template } from 'aws-cdk-lib/assertions';
import { buildTestKit } from './support/kit';

/**
 * Changing the logical ID of a stateful resource makes CloudFormation replace it: a new database, a new bucket,
 * a new key. This pins every one of them; a change here must be a deliberate, reviewed migration.
 */
const STATEFUL_TYPES = [
  'AWS::RDS::DBInstance',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::Cognito::UserPool',
  'AWS::Backup::BackupVault',
  'AWS::DynamoDB::Table',
];

const PINNED: Record<string, string[]> = {
  keys: ['KeysAuditKey155B718A', 'KeysDataKey8F3FE3A4', 'KeysLogsKeyD24E82DB'],
  network: ['VpcDefaultSgRestrictorLogGroup905E2331', 'VpcFlowLogGroupF028B892'],
  audit: ['AccessLogsBucketFA218D2A', 'AuditBucket9413D1BE', 'AuditTrailLogGroupCCC93678'],
  data: [
    'BackupVaultADF21B19',
    'DatabaseF44359DD',
    'DatabaseOsMetricsLogGroup5B8914CC',
    'DatabasePostgresqlLogGroupFB424933',
    'DatabaseUpgradeLogGroup1BC935EE',
    'DeletionProtectionHandlerLogs49F5A13A',
    'KeyStoreTable7C0A6EAD',
    'PhiBucketFEC03A07',
  ],
  identity: ['PushHandlerLogsB383B33A', 'PushProviderLogs4A6AA3B5', 'UserPool335E89E8'],
  service: [
    'ContainerClusterInsightsLogGroupA3E8677B',
    'DeletionProtectionHandlerLogs49F5A13A',
    'MessagingServiceLogGroupE8955710',
    'WebAclLogGroup27712C52',
  ],
  // Issue 16: the session records (fixed names, audit retention).
  bastion: [
    'KeyOnlyBastionSessionRecordingCommandLog70268FC2',
    'KeyOnlyBastionSessionRecordingSessionLog0E9CAA98',
    'KeyOnlyBastionSessionRecordingSshAuthLogFD24D14C',
    'KeyOnlyBastionSessionRecordingSsmSessionLog53511A25',
  ],
};

describe('stateful resources', () => {
  // Push on, so the push handler's log groups are built too.
  const kit = buildTestKit({ push: { apnsSecretName: 'kit/apns', fcmSecretName: 'kit/fcm' } });
  const stacks = Object.entries(kit).filter(([, stack]) => stack !== undefined);

  test.each(stacks)('%s keeps its pinned logical IDs, all retained on delete and replace', (name, stack) => {
    // A fixed physical name (BucketName, LogGroupName, ...) is removed only when its own create rolls back.
    const named = (r: Record<string, unknown>) =>
      Object.keys((r.Properties ?? {}) as object).some((p) =>
        ['BucketName', 'LogGroupName', 'DBInstanceIdentifier', 'TableName', 'BackupVaultName'].includes(p),
      );
    const resources = Template.fromStack(stack!).toJSON().Resources as Record<string, Record<string, string>>;
    const stateful = Object.entries(resources).filter(([, r]) => STATEFUL_TYPES.includes(r.Type));
    expect(stateful.map(([id]) => id).sort()).toEqual(PINNED[name]);
    for (const [, resource] of stateful) {
      expect(resource.DeletionPolicy).toBe(named(resource) ? 'RetainExceptOnCreate' : 'Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
  });
});
