/**
 * A healthy deployed account, simulated with aws-sdk-client-mock from the kit's synthesized templates: every check
 * passes against it, and each test drifts one thing. Physical IDs are made up but shaped like real ones.
 */
import { BackupClient, GetBackupPlanCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudTrailClient,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  CognitoIdentityProviderClient,
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
  EC2Client,
  NetworkAcl,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetWebACLForResourceCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { KitConfig } from '../../core/config';
import { resolveConfig } from '../../lib/profiles';
import { caller, createClients } from '../../verify/aws';
import { VerifyContext, DEFAULT_THRESHOLDS } from '../../verify/context';
import { DeployedResource, Deployment } from '../../verify/discovery';
import { synthesizeTemplates, Templates } from '../../verify/expected';

export const NOW = new Date('2026-11-22T12:00:00Z');
export const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export const config: KitConfig = resolveConfig('example');
/** The example profile's conversation-key table, as the verifier names it. */
export const KEY_TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/hipaa-kit-example-conversation-keys';
let cachedTemplates: Templates | undefined;
/** The example profile's templates, synthesized once per test file (verify/expected.ts, as the CLI does). */
export function templates(): Templates {
  cachedTemplates ??= synthesizeTemplates(config);
  return cachedTemplates;
}

/** A physical ID shaped like the real one for the type. */
function physicalIdOf(stack: string, logicalId: string, type: string, props: Record<string, unknown>): string {
  const lower = logicalId.toLowerCase();
  switch (type) {
    case 'AWS::S3::Bucket':
      return typeof props.BucketName === 'string' ? props.BucketName : `${stack.toLowerCase()}-${lower}`;
    case 'AWS::KMS::Key':
      return `key-${lower}`;
    case 'AWS::CloudTrail::Trail':
      return String(props.TrailName);
    case 'AWS::EC2::VPC':
      return 'vpc-0kit';
    case 'AWS::EC2::Instance':
      return 'i-0bastion';
    case 'AWS::RDS::DBInstance':
      return 'hipaa-kit-example-db';
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/kit/abc';
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:us-east-1:123456789012:${lower}`;
    case 'AWS::DynamoDB::Table':
      return String(props.TableName);
    default:
      return `${lower}-id`;
  }
}

/** Every resource of the synthesized stacks, as ListStackResources would return them. */
export function deployedResources(): DeployedResource[] {
  return Object.entries(templates()).flatMap(([stack, resources]) =>
    Object.entries(resources).map(([logicalId, r]) => ({
      stack,
      logicalId,
      type: r.Type,
      physicalId: physicalIdOf(stack, logicalId, r.Type, r.Properties ?? {}),
    })),
  );
}

export function deployment(): Deployment {
  return {
    stacks: Object.keys(templates()).map((name) => ({ name, status: 'CREATE_COMPLETE' })),
    missing: [],
    resources: deployedResources(),
  };
}

export function find(type: string, logicalPrefix = ''): DeployedResource {
  const found = deployedResources().find((r) => r.type === type && r.logicalId.startsWith(logicalPrefix));
  if (!found) throw new Error(`no ${type} ${logicalPrefix}`);
  return found;
}

export const mocks = {
  backup: mockClient(BackupClient),
  cloudformation: mockClient(CloudFormationClient),
  cloudtrail: mockClient(CloudTrailClient),
  cognito: mockClient(CognitoIdentityProviderClient),
  ec2: mockClient(EC2Client),
  elb: mockClient(ElasticLoadBalancingV2Client),
  iam: mockClient(IAMClient),
  kms: mockClient(KMSClient),
  rds: mockClient(RDSClient),
  s3: mockClient(S3Client),
  sns: mockClient(SNSClient),
  sts: mockClient(STSClient),
  wafv2: mockClient(WAFV2Client),
};

/** A check context over the healthy deployment, with instant retries. */
export function context(): VerifyContext {
  return {
    config,
    templates: templates(),
    deployment: deployment(),
    clients: createClients(config.region, CREDENTIALS),
    call: caller({ sleep: async () => undefined }),
    now: NOW,
    thresholds: DEFAULT_THRESHOLDS,
  };
}

export const ADMIN_CIDR = config.adminCidrs[0];
export const VPC_CIDR = config.vpcCidr;

export function healthySecurityGroups(): SecurityGroup[] {
  return [
    { GroupId: 'sg-default', GroupName: 'default', IpPermissions: [], IpPermissionsEgress: [] },
    {
      GroupId: 'sg-alb',
      GroupName: 'alb',
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        },
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ],
    },
    {
      GroupId: 'sg-bastion',
      GroupName: 'bastion',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: ADMIN_CIDR }] }],
    },
    {
      GroupId: 'sg-db',
      GroupName: 'db',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 5532, ToPort: 5532, UserIdGroupPairs: [{ GroupId: 'sg-service' }] },
      ],
    },
    {
      GroupId: 'sg-endpoints',
      GroupName: 'endpoints',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: VPC_CIDR }] }],
    },
  ];
}

export function healthyNetworkAcls(): NetworkAcl[] {
  const allow = (n: number, protocol: string, cidr: string, from?: number, to?: number) => ({
    RuleNumber: n,
    Protocol: protocol,
    RuleAction: 'allow' as const,
    Egress: false,
    CidrBlock: cidr,
    PortRange: from === undefined ? undefined : { From: from, To: to ?? from },
  });
  return [
    {
      NetworkAclId: 'acl-public',
      IsDefault: false,
      Associations: [{ SubnetId: 'subnet-public-a' }],
      Entries: [
        allow(100, '6', '0.0.0.0/0', 443),
        allow(110, '6', '0.0.0.0/0', 80),
        allow(120, '6', ADMIN_CIDR, 22),
        allow(130, '6', '0.0.0.0/0', 1024, 65535),
        allow(140, '-1', VPC_CIDR),
        { RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: true, CidrBlock: '0.0.0.0/0' },
        { RuleNumber: 32767, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0' },
      ],
    },
    // AWS's default NACL allows everything, but no subnet of the kit uses it.
    { NetworkAclId: 'acl-default', IsDefault: true, Associations: [], Entries: [allow(100, '-1', '0.0.0.0/0')] },
  ];
}

/** Sets every mock to the healthy account. */
export function healthyAccount(): void {
  for (const m of Object.values(mocks)) m.reset();
  const tpl = templates();
  const resources = deployedResources();
  const account = config.account;

  mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/auditor/me` });
  for (const name of Object.keys(tpl)) {
    mocks.cloudformation.on(DescribeStacksCommand, { StackName: name }).resolves({
      Stacks: [{ StackName: name, StackStatus: 'UPDATE_COMPLETE', CreationTime: ago(60 * 24) }],
    });
    const mine = resources.filter((r) => r.stack === name);
    // Two pages, to prove discovery follows NextToken.
    const half = Math.ceil(mine.length / 2);
    const page = (list: DeployedResource[]) =>
      list.map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: 'CREATE_COMPLETE' as const,
        LastUpdatedTimestamp: ago(60),
      }));
    mocks.cloudformation
      .on(ListStackResourcesCommand, { StackName: name, NextToken: undefined })
      .resolves({ StackResourceSummaries: page(mine.slice(0, half)), NextToken: `${name}-2` })
      .on(ListStackResourcesCommand, { StackName: name, NextToken: `${name}-2` })
      .resolves({ StackResourceSummaries: page(mine.slice(half)) });
  }

  for (const key of resources.filter((r) => r.type === 'AWS::KMS::Key')) {
    const policy = tpl[key.stack][key.logicalId].Properties?.KeyPolicy;
    mocks.kms
      .on(DescribeKeyCommand, { KeyId: key.physicalId })
      .resolves({ KeyMetadata: { KeyId: key.physicalId, KeyState: 'Enabled', Enabled: true } })
      .on(GetKeyRotationStatusCommand, { KeyId: key.physicalId })
      .resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 })
      .on(GetKeyPolicyCommand, { KeyId: key.physicalId })
      // KMS returns the policy as stored: reorder statements to prove the comparison is by meaning.
      .resolves({ Policy: JSON.stringify({ ...policy, Statement: [...policy.Statement].reverse() }) });
  }

  const trail = find('AWS::CloudTrail::Trail');
  const auditBucket = find('AWS::S3::Bucket', 'AuditBucket');
  const dataKeyArn = `arn:aws:kms:us-east-1:${account}:key/${find('AWS::KMS::Key', 'KeysDataKey').physicalId}`;
  const auditKeyArn = `arn:aws:kms:us-east-1:${account}:key/${find('AWS::KMS::Key', 'KeysAuditKey').physicalId}`;
  mocks.cloudtrail
    .on(GetTrailCommand, { Name: trail.physicalId })
    .resolves({
      Trail: {
        Name: trail.physicalId,
        IsMultiRegionTrail: true,
        LogFileValidationEnabled: true,
        KmsKeyId: auditKeyArn,
        S3BucketName: auditBucket.physicalId,
      },
    })
    .on(GetTrailStatusCommand, { Name: trail.physicalId })
    .resolves({ IsLogging: true, LatestDeliveryTime: ago(5), LatestDigestDeliveryTime: ago(30) })
    .on(GetEventSelectorsCommand)
    .resolves({
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          // As the kit deploys it: every bucket, which covers the PHI bucket too.
          DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }],
        },
      ],
    });
  // Hourly digests over the last day.
  mocks.s3.on(ListObjectsV2Command).resolves({
    Contents: Array.from({ length: 25 }, (_, h) => ({ Key: `digest-${h}.json.gz`, LastModified: ago(h * 60 + 10) })),
  });

  mocks.ec2
    .on(DescribeVpcsCommand)
    .resolves({ Vpcs: [{ VpcId: 'vpc-0kit', CidrBlock: VPC_CIDR, InstanceTenancy: 'dedicated' }] })
    .on(DescribeSecurityGroupsCommand)
    .resolves({ SecurityGroups: healthySecurityGroups() })
    .on(DescribeNetworkAclsCommand)
    .resolves({ NetworkAcls: healthyNetworkAcls() })
    .on(DescribeInstancesCommand)
    .resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0bastion',
              MetadataOptions: { HttpTokens: 'required' },
              BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1' } }],
            },
          ],
        },
      ],
    })
    .on(DescribeVolumesCommand)
    .resolves({ Volumes: [{ VolumeId: 'vol-1', Encrypted: true }] });

  for (const bucket of resources.filter((r) => r.type === 'AWS::S3::Bucket')) {
    const props = tpl[bucket.stack][bucket.logicalId].Properties ?? {};
    const algorithm =
      props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm;
    const Bucket = bucket.physicalId;
    mocks.s3
      .on(GetBucketEncryptionCommand, { Bucket })
      .resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: algorithm,
                KMSMasterKeyID:
                  algorithm === 'aws:kms'
                    ? bucket.logicalId.startsWith('Audit')
                      ? auditKeyArn
                      : dataKeyArn
                    : undefined,
              },
            },
          ],
        },
      })
      .on(GetPublicAccessBlockCommand, { Bucket })
      .resolves({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      })
      .on(GetBucketVersioningCommand, { Bucket })
      .resolves({ Status: 'Enabled' })
      .on(GetBucketPolicyCommand, { Bucket })
      .resolves({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      })
      .on(GetBucketPolicyStatusCommand, { Bucket })
      .resolves({ PolicyStatus: { IsPublic: false } })
      .on(GetBucketAclCommand, { Bucket })
      .resolves({
        Owner: { ID: 'owner' },
        Grants: [{ Grantee: { Type: 'CanonicalUser', ID: 'owner' }, Permission: 'FULL_CONTROL' }],
      });
    if (props.ObjectLockConfiguration) {
      mocks.s3.on(GetObjectLockConfigurationCommand, { Bucket }).resolves({
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: config.auditRetentionDays } },
        },
      });
    }
  }

  const db = find('AWS::RDS::DBInstance');
  mocks.rds
    .on(DescribeDBInstancesCommand)
    .resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: db.physicalId,
          StorageEncrypted: true,
          MultiAZ: true,
          DeletionProtection: true,
          IAMDatabaseAuthenticationEnabled: true,
          BackupRetentionPeriod: config.database.backupRetentionDays,
          PreferredBackupWindow: '03:00-04:00',
          LatestRestorableTime: ago(4),
          DBParameterGroups: [{ DBParameterGroupName: 'kit-params', ParameterApplyStatus: 'in-sync' }],
        },
      ],
    })
    // Two pages: rds.force_ssl is on the second.
    .on(DescribeDBParametersCommand, { DBParameterGroupName: 'kit-params', Marker: undefined })
    .resolves({ Parameters: [{ ParameterName: 'rds.logical_replication', ParameterValue: '0' }], Marker: 'page-2' })
    .on(DescribeDBParametersCommand, { DBParameterGroupName: 'kit-params', Marker: 'page-2' })
    .resolves({ Parameters: [{ ParameterName: 'rds.force_ssl', ParameterValue: '1' }] });

  mocks.backup
    .on(GetBackupPlanCommand)
    .resolves({
      BackupPlan: {
        BackupPlanName: 'hipaa-kit-example-daily',
        Rules: [
          {
            RuleName: 'Daily',
            TargetBackupVaultName: 'vault',
            Lifecycle: { DeleteAfterDays: config.backup.retentionDays },
          },
        ],
      },
    })
    .on(ListRecoveryPointsByResourceCommand)
    .resolves({ RecoveryPoints: [{ RecoveryPointArn: 'rp-1', Status: 'COMPLETED', CreationDate: ago(60 * 7) }] })
    // The conversation-key table is in no backup plan (crypto-shredding).
    .on(ListRecoveryPointsByResourceCommand, { ResourceArn: KEY_TABLE_ARN })
    .resolves({ RecoveryPoints: [] });

  mocks.cognito
    .on(DescribeUserPoolCommand)
    .resolves({
      UserPool: { Id: 'pool', MfaConfiguration: 'ON', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } },
    })
    .on(GetUserPoolMfaConfigCommand)
    .resolves({ MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } })
    .on(DescribeUserPoolClientCommand)
    .resolves({
      UserPoolClient: {
        AccessTokenValidity: 15,
        IdTokenValidity: 15,
        RefreshTokenValidity: 720,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      },
    });

  mocks.elb.on(DescribeListenersCommand).resolves({
    Listeners: [
      {
        ListenerArn: 'l-443',
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        DefaultActions: [{ Type: 'forward' }],
      },
      {
        ListenerArn: 'l-80',
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
        ],
      },
    ],
  });
  mocks.elb.on(DescribeLoadBalancerAttributesCommand).resolves({
    Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }],
  });
  mocks.elb.on(DescribeRulesCommand).resolves({
    Rules: [
      {
        Priority: 'default',
        IsDefault: true,
        Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      },
    ],
  });
  mocks.wafv2.on(GetWebACLForResourceCommand).resolves({
    WebACL: { Name: 'kit-waf', Id: 'waf-1', ARN: 'arn:waf', DefaultAction: {}, VisibilityConfig: undefined } as never,
  });
  mocks.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { KmsMasterKeyId: dataKeyArn } });
  mocks.iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
}
