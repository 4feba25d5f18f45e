import { GetBackupPlanCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeRulesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, DescribeDBParametersCommand } from '@aws-sdk/client-rds';
import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetWebACLForResourceCommand } from '@aws-sdk/client-wafv2';
import 'aws-sdk-client-mock-jest';
import { ALB_CHECKS } from '../../verify/alb';
import { BACKUP_CHECKS } from '../../verify/backup';
import { CheckResult } from '../../verify/check';
import { CLOUDTRAIL_CHECKS } from '../../verify/cloudtrail';
import { COGNITO_CHECKS } from '../../verify/cognito';
import { EC2_CHECKS } from '../../verify/ec2';
import { KMS_CHECKS } from '../../verify/kms';
import { RDS_CHECKS } from '../../verify/rds';
import { AREAS } from '../../verify/run';
import { S3_CHECKS } from '../../verify/s3';
import { IAM_CHECKS } from '../../verify/iam';
import { SNS_CHECKS } from '../../verify/sns';
import {
  ADMIN_CIDR,
  ago,
  context,
  find,
  healthyAccount,
  healthyNetworkAcls,
  healthySecurityGroups,
  KEY_TABLE_ARN,
  mocks,
  templates,
} from './support';

async function runAll(): Promise<CheckResult[]> {
  const ctx = context();
  return (await Promise.all(AREAS.map((area) => area(ctx)))).flat();
}

beforeAll(() => templates());
beforeEach(() => healthyAccount());

const ALL_SPECS = [
  ...Object.values(KMS_CHECKS),
  ...Object.values(CLOUDTRAIL_CHECKS),
  ...Object.values(EC2_CHECKS),
  ...Object.values(S3_CHECKS),
  ...Object.values(RDS_CHECKS),
  ...Object.values(BACKUP_CHECKS),
  ...Object.values(COGNITO_CHECKS),
  ...Object.values(ALB_CHECKS),
  ...Object.values(SNS_CHECKS),
  ...Object.values(IAM_CHECKS),
];

test('a healthy account passes every check, and every check runs at least once', async () => {
  const results = await runAll();
  const notPassing = results.filter((r) => r.status !== 'pass');
  expect(notPassing).toEqual([]);
  const ran = new Set(results.map((r) => r.id));
  expect(ALL_SPECS.map((s) => s.id).filter((id) => !ran.has(id))).toEqual([]);
  // One result per kit key, bucket, ...: the discovery drives the checks, not a fixed list.
  expect(results.filter((r) => r.id === 'kms.rotation')).toHaveLength(3);
  expect(results.filter((r) => r.id === 's3.tls-only')).toHaveLength(3);
  expect(results.filter((r) => r.id === 's3.object-lock')).toHaveLength(1);
});

test('every check carries pillar or HIPAA IDs from the catalogue', () => {
  for (const spec of ALL_SPECS) expect(spec.pillars.length + spec.hipaa.length).toBeGreaterThan(0);
});

test('the key policy comes from the synthesized template and reaches KMS with PolicyName default', async () => {
  await runAll();
  expect(mocks.kms).toHaveReceivedCommandWith(GetKeyPolicyCommand, { PolicyName: 'default' });
  expect(mocks.rds).toHaveReceivedCommandTimes(DescribeDBParametersCommand, 2);
});

const key = () => find('AWS::KMS::Key', 'KeysDataKey').physicalId;
const bucket = (prefix: string) => find('AWS::S3::Bucket', prefix).physicalId;

/** [check id, drift, expected detail] */
const DRIFTS: [string, () => void, RegExp][] = [
  [
    'kms.key-state',
    () =>
      mocks.kms.on(DescribeKeyCommand, { KeyId: key() }).resolves({
        KeyMetadata: { KeyId: key(), KeyState: 'PendingDeletion', Enabled: false, DeletionDate: ago(-7 * 24 * 60) },
      }),
    /pending deletion/,
  ],
  [
    'kms.key-state',
    () =>
      mocks.kms
        .on(DescribeKeyCommand, { KeyId: key() })
        .resolves({ KeyMetadata: { KeyId: key(), KeyState: 'Disabled', Enabled: false } }),
    /Disabled/,
  ],
  [
    'kms.rotation',
    () => mocks.kms.on(GetKeyRotationStatusCommand, { KeyId: key() }).resolves({ KeyRotationEnabled: false }),
    /rotation is off/,
  ],
  [
    'kms.key-policy',
    () => {
      const policy =
        templates()['HipaaKit-Example-Keys'][find('AWS::KMS::Key', 'KeysDataKey').logicalId].Properties?.KeyPolicy;
      const extra = {
        Sid: 'Backdoor',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Action: 'kms:Decrypt',
        Resource: '*',
      };
      mocks.kms
        .on(GetKeyPolicyCommand, { KeyId: key() })
        .resolves({ Policy: JSON.stringify({ ...policy, Statement: [...policy.Statement, extra] }) });
    },
    /"Backdoor" was added/,
  ],
  [
    'kms.key-policy',
    () => {
      const policy =
        templates()['HipaaKit-Example-Keys'][find('AWS::KMS::Key', 'KeysDataKey').logicalId].Properties?.KeyPolicy;
      const widened = policy.Statement.map((s: { Sid?: string }) => (s.Sid ? { ...s, Action: 'kms:*' } : s));
      mocks.kms
        .on(GetKeyPolicyCommand, { KeyId: key() })
        .resolves({ Policy: JSON.stringify({ ...policy, Statement: widened }) });
    },
    /was changed/,
  ],
  [
    'cloudtrail.logging',
    () => mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false, LatestDeliveryTime: ago(5) }),
    /stopped/,
  ],
  [
    'cloudtrail.delivery',
    () => mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true, LatestDeliveryTime: ago(180) }),
    /180 min ago/,
  ],
  [
    'cloudtrail.delivery',
    () =>
      mocks.cloudtrail
        .on(GetTrailStatusCommand)
        .resolves({ IsLogging: true, LatestDeliveryTime: ago(5), LatestDeliveryError: 'AccessDenied' }),
    /delivery error/,
  ],
  [
    'cloudtrail.hardened',
    () =>
      mocks.cloudtrail
        .on(GetTrailCommand)
        .resolves({ Trail: { IsMultiRegionTrail: false, LogFileValidationEnabled: false, S3BucketName: 'b' } }),
    /not multi-region; log file validation off; logs not encrypted/,
  ],
  [
    // No selector at all: the all-buckets selector goes with it.
    'cloudtrail.phi-data-events + cloudtrail.all-buckets-data-events',
    () =>
      mocks.cloudtrail
        .on(GetEventSelectorsCommand)
        .resolves({ EventSelectors: [{ IncludeManagementEvents: true, DataResources: [] }] }),
    /no S3 data-event selector/,
  ],
  [
    'cloudtrail.digests',
    () =>
      mocks.s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'old.json.gz', LastModified: ago(60 * 30) }] }),
    /no digest file/,
  ],
  [
    'cloudtrail.digests',
    () =>
      mocks.s3.on(ListObjectsV2Command).resolves({
        // Hourly, except five hours missing in the middle of the day.
        Contents: Array.from({ length: 25 }, (_, h) => h)
          .filter((h) => h < 8 || h > 12)
          .map((h) => ({ Key: `digest-${h}.json.gz`, LastModified: ago(h * 60 + 10) })),
      }),
    /gap of 6\.0 h/,
  ],
  [
    'cloudtrail.phi-data-events + cloudtrail.all-buckets-data-events',
    () =>
      mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
        EventSelectors: [
          {
            ReadWriteType: 'WriteOnly',
            IncludeManagementEvents: true,
            DataResources: [
              { Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::hipaa-kit-example-phi-123456789012-us-east-1/'] },
            ],
          },
        ],
      }),
    /no S3 data-event selector/,
  ],
  [
    'cloudtrail.all-buckets-data-events',
    () =>
      mocks.cloudtrail.on(GetEventSelectorsCommand).resolves({
        EventSelectors: [
          {
            ReadWriteType: 'All',
            IncludeManagementEvents: true,
            DataResources: [
              { Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::hipaa-kit-example-phi-123456789012-us-east-1/'] },
            ],
          },
        ],
      }),
    /no S3 data-event selector for every bucket/,
  ],
  [
    'alb.deletion-protection',
    () =>
      mocks.elb
        .on(DescribeLoadBalancerAttributesCommand)
        .resolves({ Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] }),
    /deletion protection is off/,
  ],
  [
    'iam.no-inline-policies',
    () =>
      mocks.iam
        .on(ListRolePoliciesCommand)
        .resolvesOnce({ PolicyNames: ['AddedByHand'], IsTruncated: true, Marker: 'm' })
        .resolves({ PolicyNames: ['Second'], IsTruncated: false }),
    /inline policies: AddedByHand, Second/,
  ],
  [
    'ec2.vpc-tenancy',
    () =>
      mocks.ec2
        .on(DescribeVpcsCommand)
        .resolves({ Vpcs: [{ VpcId: 'vpc-0kit', CidrBlock: '10.40.0.0/16', InstanceTenancy: 'default' }] }),
    /tenancy is default/,
  ],
  [
    'ec2.sg-ingress',
    () => {
      const groups = healthySecurityGroups();
      groups[1].IpPermissions!.push({
        IpProtocol: 'tcp',
        FromPort: 3389,
        ToPort: 3389,
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
      });
      mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
    },
    /tcp:3389-3389:from:0.0.0.0\/0/,
  ],
  [
    'ec2.sg-ingress',
    () => {
      const groups = healthySecurityGroups();
      groups[2].IpPermissions = [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '198.51.100.7/32' }] },
      ];
      mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
    },
    /198.51.100.7\/32 \(not in adminCidrs\)/,
  ],
  [
    'ec2.sg-ingress',
    () => {
      const groups = healthySecurityGroups();
      groups[2].IpPermissions = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: ADMIN_CIDR }] }];
      mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
    },
    /all:all:from/,
  ],
  [
    'ec2.nacl-ingress',
    () => {
      const acls = healthyNetworkAcls();
      // RDP added by hand: inside 1024-65535, but only the whole return range counts as return traffic.
      acls[0].Entries!.push({
        RuleNumber: 80,
        Protocol: '6',
        RuleAction: 'allow',
        Egress: false,
        CidrBlock: '0.0.0.0/0',
        PortRange: { From: 3389, To: 3389 },
      });
      acls[0].Entries!.push({
        RuleNumber: 90,
        Protocol: '6',
        RuleAction: 'allow',
        Egress: false,
        CidrBlock: '0.0.0.0/0',
        PortRange: { From: 23, To: 23 },
      });
      mocks.ec2.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: acls });
    },
    /rule 80: tcp:3389-3389.*rule 90: tcp:23-23|rule 90: tcp:23-23.*rule 80: tcp:3389-3389/s,
  ],
  [
    'ec2.nacl-ingress',
    () => {
      const acls = healthyNetworkAcls();
      acls[1].Associations = [{ SubnetId: 'subnet-moved-by-hand' }];
      mocks.ec2.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: acls });
    },
    /rule 100: all:all:from:0.0.0.0\/0/,
  ],
  [
    'ec2.default-sg-empty',
    () => {
      const groups = healthySecurityGroups();
      groups[0].IpPermissions = [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-default' }] }];
      mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
    },
    /1 rule\(s\) present/,
  ],
  [
    'ec2.bastion-imdsv2',
    () =>
      mocks.ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              { MetadataOptions: { HttpTokens: 'optional' }, BlockDeviceMappings: [{ Ebs: { VolumeId: 'vol-1' } }] },
            ],
          },
        ],
      }),
    /HttpTokens is optional/,
  ],
  [
    'ec2.bastion-volumes-encrypted',
    () => mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-1', Encrypted: false }] }),
    /vol-1 is not encrypted/,
  ],
  [
    's3.encryption',
    () =>
      mocks.s3.on(GetBucketEncryptionCommand, { Bucket: bucket('PhiBucket') }).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    /AES256, synthesized aws:kms/,
  ],
  [
    's3.encryption',
    () =>
      mocks.s3.on(GetBucketEncryptionCommand, { Bucket: bucket('PhiBucket') }).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: 'arn:aws:kms:us-east-1:123456789012:alias/aws/s3',
              },
            },
          ],
        },
      }),
    /not a kit key/,
  ],
  [
    's3.block-public-access',
    () =>
      mocks.s3
        .on(GetPublicAccessBlockCommand, { Bucket: bucket('PhiBucket') })
        .rejects(Object.assign(new Error('none'), { name: 'NoSuchPublicAccessBlockConfiguration' })),
    /off: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets/,
  ],
  [
    's3.versioning',
    () => mocks.s3.on(GetBucketVersioningCommand, { Bucket: bucket('PhiBucket') }).resolves({ Status: 'Suspended' }),
    /versioning is Suspended/,
  ],
  [
    's3.tls-only',
    () =>
      mocks.s3
        .on(GetBucketPolicyCommand, { Bucket: bucket('PhiBucket') })
        .rejects(Object.assign(new Error('none'), { name: 'NoSuchBucketPolicy' })),
    /aws:SecureTransport/,
  ],
  [
    's3.not-public',
    () =>
      mocks.s3.on(GetBucketAclCommand, { Bucket: bucket('PhiBucket') }).resolves({
        Grants: [
          { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
        ],
      }),
    /ACL grants READ to AllUsers/,
  ],
  [
    's3.not-public',
    () =>
      mocks.s3
        .on(GetBucketPolicyStatusCommand, { Bucket: bucket('PhiBucket') })
        .resolves({ PolicyStatus: { IsPublic: true } }),
    /policy makes it public/,
  ],
  [
    's3.object-lock',
    () =>
      mocks.s3.on(GetObjectLockConfigurationCommand, { Bucket: bucket('AuditBucket') }).resolves({
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
        },
      }),
    /differs from GOVERNANCE 2190/,
  ],
  [
    'rds.hardened',
    () =>
      mocks.rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            StorageEncrypted: true,
            MultiAZ: false,
            DeletionProtection: false,
            IAMDatabaseAuthenticationEnabled: true,
            BackupRetentionPeriod: 35,
            LatestRestorableTime: ago(1),
            DBParameterGroups: [{ DBParameterGroupName: 'kit-params', ParameterApplyStatus: 'in-sync' }],
          },
        ],
      }),
    /not Multi-AZ; deletion protection off/,
  ],
  [
    'rds.force-ssl',
    () =>
      mocks.rds
        .on(DescribeDBParametersCommand, { DBParameterGroupName: 'kit-params', Marker: 'page-2' })
        .resolves({ Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '0' }] }),
    /rds.force_ssl is 0/,
  ],
  [
    'rds.force-ssl',
    () =>
      mocks.rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            StorageEncrypted: true,
            MultiAZ: true,
            DeletionProtection: true,
            IAMDatabaseAuthenticationEnabled: true,
            BackupRetentionPeriod: 35,
            LatestRestorableTime: ago(1),
            DBParameterGroups: [{ DBParameterGroupName: 'kit-params', ParameterApplyStatus: 'pending-reboot' }],
          },
        ],
      }),
    /pending-reboot/,
  ],
  [
    'rds.backups',
    () =>
      mocks.rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            StorageEncrypted: true,
            MultiAZ: true,
            DeletionProtection: true,
            IAMDatabaseAuthenticationEnabled: true,
            BackupRetentionPeriod: 1,
            LatestRestorableTime: ago(1),
            DBParameterGroups: [{ DBParameterGroupName: 'kit-params', ParameterApplyStatus: 'in-sync' }],
          },
        ],
      }),
    /backup retention 1 days, config says 35/,
  ],
  [
    'rds.restorable',
    () =>
      mocks.rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            StorageEncrypted: true,
            MultiAZ: true,
            DeletionProtection: true,
            IAMDatabaseAuthenticationEnabled: true,
            BackupRetentionPeriod: 35,
            LatestRestorableTime: ago(600),
            DBParameterGroups: [{ DBParameterGroupName: 'kit-params', ParameterApplyStatus: 'in-sync' }],
          },
        ],
      }),
    /600 min old/,
  ],
  [
    'backup.plan',
    () =>
      mocks.backup.on(GetBackupPlanCommand).resolves({
        BackupPlan: {
          BackupPlanName: 'p',
          Rules: [{ RuleName: 'Daily', TargetBackupVaultName: 'v', Lifecycle: { DeleteAfterDays: 7 } }],
        },
      }),
    /keeps 7 days/,
  ],
  [
    'backup.recovery-points',
    () =>
      mocks.backup
        .on(ListRecoveryPointsByResourceCommand)
        .resolves({
          RecoveryPoints: [
            { Status: 'COMPLETED', CreationDate: ago(60 * 48) },
            { Status: 'PARTIAL', CreationDate: ago(60) },
          ],
        })
        .on(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN })
        .resolves({ RecoveryPoints: [] }),
    /no completed recovery point for arn:aws:rds/,
  ],
  [
    'backup.key-table-excluded',
    () =>
      mocks.backup
        .on(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN })
        .resolves({ RecoveryPoints: [{ RecoveryPointArn: 'rp-org', Status: 'COMPLETED', CreationDate: ago(60) }] }),
    /AWS Backup holds 1 recovery point\(s\) of arn:aws:dynamodb:us-east-1:123456789012:table\/hipaa-kit-example-conversation-keys.*organization backup policies/,
  ],
  [
    'cognito.mfa-totp',
    () =>
      mocks.cognito
        .on(GetUserPoolMfaConfigCommand)
        .resolves({ MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }),
    /MFA is OPTIONAL/,
  ],
  [
    'cognito.mfa-totp',
    () =>
      mocks.cognito.on(GetUserPoolMfaConfigCommand).resolves({
        MfaConfiguration: 'ON',
        SoftwareTokenMfaConfiguration: { Enabled: true },
        SmsMfaConfiguration: { SmsConfiguration: { SnsCallerArn: 'arn:role' } },
      }),
    /SMS MFA is configured/,
  ],
  [
    'cognito.threat-protection',
    () =>
      mocks.cognito
        .on(DescribeUserPoolCommand)
        .resolves({ UserPool: { UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' } } }),
    /threat protection is AUDIT/,
  ],
  [
    'cognito.token-validity',
    () =>
      mocks.cognito.on(DescribeUserPoolClientCommand).resolves({
        UserPoolClient: {
          AccessTokenValidity: 1,
          IdTokenValidity: 15,
          RefreshTokenValidity: 720,
          TokenValidityUnits: { AccessToken: 'days', IdToken: 'minutes', RefreshToken: 'minutes' },
        },
      }),
    /AccessTokenValidity 1 days, synthesized 15 minutes/,
  ],
  [
    'alb.https-tls-policy',
    () =>
      mocks.elb.on(DescribeListenersCommand).resolves({
        Listeners: [
          { Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-2016-08' },
          {
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
          },
        ],
      }),
    /uses ELBSecurityPolicy-2016-08/,
  ],
  [
    'alb.http-redirect-only',
    () =>
      mocks.elb.on(DescribeListenersCommand).resolves({
        Listeners: [
          { Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' },
          { Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'forward' }] },
        ],
      }),
    /HTTP listener on 80 does not only redirect/,
  ],
  [
    'alb.http-redirect-only',
    () =>
      mocks.elb.on(DescribeListenersCommand).resolves({
        Listeners: [
          { Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' },
          {
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
          },
          {
            Port: 8080,
            Protocol: 'HTTP',
            DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
          },
        ],
      }),
    /HTTP listener on 8080 is not expected/,
  ],
  [
    'alb.http-redirect-only',
    () =>
      mocks.elb.on(DescribeRulesCommand).resolves({
        Rules: [
          { Priority: '10', Actions: [{ Type: 'forward', TargetGroupArn: 'tg' }] },
          {
            Priority: 'default',
            IsDefault: true,
            Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
          },
        ],
      }),
    /rule 10 on port 80 does not redirect to HTTPS/,
  ],
  ['alb.waf', () => mocks.wafv2.on(GetWebACLForResourceCommand).resolves({}), /no web ACL is associated/],
  [
    'sns.kms-encryption',
    () => mocks.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { KmsMasterKeyId: 'alias/aws/sns' } }),
    /alias\/aws\/sns, not one of the kit's keys/,
  ],
  [
    'sns.kms-encryption',
    () =>
      mocks.sns.on(GetTopicAttributesCommand).resolves({
        Attributes: { KmsMasterKeyId: 'arn:aws:kms:us-east-1:123456789012:key/99999999-aaaa-bbbb-cccc-000000000000' },
      }),
    /not one of the kit's keys/,
  ],
  ['sns.kms-encryption', () => mocks.sns.on(GetTopicAttributesCommand).resolves({ Attributes: {} }), /not encrypted/],
];

test.each(DRIFTS)('drift is caught: %s (%#)', async (id, drift, detail) => {
  drift();
  const results = await runAll();
  const failed = results.filter((r) => r.status !== 'pass');
  expect(failed.length).toBeGreaterThan(0);
  // Only the drifted checks fail (`a + b` where one drift breaks two), and they say what drifted.
  expect([...new Set(failed.map((r) => r.id))]).toEqual(id.split(' + '));
  expect(failed.map((r) => r.status)).toEqual(failed.map(() => 'fail'));
  expect(failed.map((r) => r.detail).join('\n')).toMatch(detail);
});

test('every check has at least one drift case', () => {
  const drifted = new Set(DRIFTS.flatMap(([id]) => id.split(' + ')));
  expect(ALL_SPECS.map((s) => s.id).filter((id) => !drifted.has(id))).toEqual([]);
});

test('a key policy the verifier cannot compute is "not verifiable", never a pass, and the other key checks still run', async () => {
  const ctx = context();
  const key = find('AWS::KMS::Key', 'KeysDataKey');
  const original = ctx.templates[key.stack][key.logicalId];
  const policy = original.Properties?.KeyPolicy;
  const withGetAtt = {
    ...policy,
    Statement: [
      ...policy.Statement,
      { Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['Role', 'Arn'] } }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  };
  const templatesCopy = {
    ...ctx.templates,
    [key.stack]: {
      ...ctx.templates[key.stack],
      [key.logicalId]: { ...original, Properties: { ...original.Properties, KeyPolicy: withGetAtt } },
    },
  };
  const results = await AREAS[0]({ ...ctx, templates: templatesCopy });
  const mine = results.filter((r) => r.resource.includes(key.logicalId));
  expect(mine.map((r) => [r.id, r.status])).toEqual([
    ['kms.key-state', 'pass'],
    ['kms.rotation', 'pass'],
    ['kms.key-policy', 'error'],
  ]);
  expect(mine[2].detail).toContain('cannot resolve Fn::GetAtt');
});

test("ingress from the VPC's own IPv6 block counts as inside", async () => {
  mocks.ec2.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      {
        VpcId: 'vpc-0kit',
        CidrBlock: '10.40.0.0/16',
        InstanceTenancy: 'dedicated',
        Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: '2600:1f18:1234:5600::/56' }],
      },
    ],
  });
  const groups = healthySecurityGroups();
  groups[4].IpPermissions!.push({
    IpProtocol: 'tcp',
    FromPort: 5532,
    ToPort: 5532,
    Ipv6Ranges: [{ CidrIpv6: '2600:1f18:1234:5601::/64' }],
  });
  mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
  expect((await runAll()).filter((r) => r.status !== 'pass')).toEqual([]);
});

test('the key table: asked about by its ARN, and a recovery point on a later page still fails it', async () => {
  await runAll();
  expect(mocks.backup).toHaveReceivedCommandWith(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN });
  mocks.backup
    .on(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN })
    .resolves({ RecoveryPoints: [], NextToken: 'page-2' })
    .on(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN, NextToken: 'page-2' })
    .resolves({ RecoveryPoints: [{ RecoveryPointArn: 'rp-old', Status: 'EXPIRED' }] });
  const excluded = (await runAll()).filter((r) => r.id === 'backup.key-table-excluded');
  expect(excluded.map((r) => [r.status, r.resource])).toEqual([
    ['fail', 'HipaaKit-Example-Data/KeyStoreTable7C0A6EAD (hipaa-kit-example-conversation-keys)'],
  ]);
});

test('a recent recovery point on a later page counts (pages come in no promised order)', async () => {
  mocks.backup
    .on(ListRecoveryPointsByResourceCommand)
    .resolves({ RecoveryPoints: [{ Status: 'COMPLETED', CreationDate: ago(60 * 48) }], NextToken: 'page-2' })
    .on(ListRecoveryPointsByResourceCommand, { NextToken: 'page-2' })
    .resolves({ RecoveryPoints: [{ Status: 'AVAILABLE', CreationDate: ago(60) }] });
  const results = await runAll();
  const points = results.filter((r) => r.id === 'backup.recovery-points');
  expect(points.map((r) => r.status)).toEqual(['pass']);
});
