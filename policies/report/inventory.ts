import { compareText } from '../evidence/recorder';
import {
  CfnTemplateResource,
  displayPath,
  refersTo,
  resolveReference,
  resourceAt,
  ResourceRef,
  Templates,
} from './templates';

/** One row of the per-stack inventory, derived from the synthesized template alone. */
export interface InventoryItem {
  readonly resource: string;
  readonly logicalId: string;
  readonly type: string;
  readonly encryption: string;
  readonly logging: string;
  readonly publicExposure: string;
  readonly deletionPolicy: string;
}

export interface StackInventory {
  readonly stack: string;
  readonly items: readonly InventoryItem[];
  /** Resources of types the inventory does not describe (IAM policies, routes, alarms...), counted by type. */
  readonly otherResources: readonly { readonly type: string; readonly count: number }[];
}

/** Shown where a column does not apply to the resource type. */
export const NOT_APPLICABLE = '—';

type Props = Record<string, unknown>;
interface Context {
  readonly templates: Templates;
  readonly self: ResourceRef;
  readonly props: Props;
}
interface Describer {
  encryption?(c: Context): string;
  logging?(c: Context): string;
  publicExposure?(c: Context): string;
}

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

function record(value: unknown): Props {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Props) : {};
}
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `KMS <key construct path>` for a key reference, or what the value says when it is not one. */
function kmsKey(c: Context, value: unknown): string {
  if (value === undefined) return 'KMS (AWS-managed key)';
  if (typeof value === 'string') return value.startsWith('alias/aws/') ? `KMS ${value} (AWS-managed)` : `KMS ${value}`;
  const ref = resolveReference(c.templates, c.self.stack, value);
  return ref ? `KMS ${displayPath(c.templates, ref)}` : 'KMS (key given by an intrinsic)';
}

function label(c: Context, value: unknown): string {
  if (typeof value === 'string') return value;
  const ref = resolveReference(c.templates, c.self.stack, value);
  return ref ? displayPath(c.templates, ref) : '(intrinsic)';
}

/** Resources elsewhere in the app whose property `prop` refers to `c.self`. */
function referrers(c: Context, type: string, prop: string): { ref: ResourceRef; props: Props }[] {
  const found: { ref: ResourceRef; props: Props }[] = [];
  for (const [stack, template] of c.templates) {
    for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
      if (r.Type !== type) continue;
      const props = record(r.Properties);
      if (refersTo(c.templates, stack, props[prop], c.self)) found.push({ ref: { stack, logicalId }, props });
    }
  }
  return found;
}

function ebsEncryption(c: Context, mappings: unknown): string {
  const volumes = list(mappings).map((m) => record(record(m).Ebs));
  if (volumes.length === 0) return 'no EBS mappings (AMI default)';
  return volumes
    .map((ebs) => (ebs.Encrypted === true ? `EBS ${kmsKey(c, ebs.KmsKeyId)}` : 'EBS NOT encrypted'))
    .join('; ');
}

function ingressRule(p: Props): string | undefined {
  const cidr = (p.CidrIp ?? p.CidrIpv6) as string | undefined;
  if (typeof cidr !== 'string') return undefined;
  const ports = p.FromPort === p.ToPort ? `${p.FromPort}` : `${p.FromPort}-${p.ToPort}`;
  return `${p.IpProtocol === '-1' ? 'all' : `${p.IpProtocol} ${ports}`} from ${cidr}`;
}

const DESCRIBERS: Record<string, Describer> = {
  'AWS::S3::Bucket': {
    encryption: (c) => {
      const rule = record(list(record(c.props.BucketEncryption).ServerSideEncryptionConfiguration)[0]);
      const sse = record(rule.ServerSideEncryptionByDefault);
      if (typeof sse.SSEAlgorithm === 'string' && sse.SSEAlgorithm.startsWith('aws:kms')) {
        return kmsKey(c, sse.KMSMasterKeyID);
      }
      return 'SSE-S3 (S3-managed key)';
    },
    logging: (c) => {
      const logging = record(c.props.LoggingConfiguration);
      return logging.DestinationBucketName !== undefined
        ? `access logs to ${label(c, logging.DestinationBucketName)}`
        : 'no access logs';
    },
    publicExposure: (c) => {
      const block = record(c.props.PublicAccessBlockConfiguration);
      const all = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];
      return all.every((k) => block[k] === true) ? 'public access blocked' : 'public access NOT fully blocked';
    },
  },
  'AWS::RDS::DBInstance': {
    encryption: (c) => {
      const storage =
        c.props.StorageEncrypted === true ? `storage ${kmsKey(c, c.props.KmsKeyId)}` : 'storage NOT encrypted';
      const secret = record(c.props.MasterUserSecret);
      return c.props.ManageMasterUserPassword === true
        ? `${storage}; master secret ${kmsKey(c, secret.KmsKeyId)}`
        : storage;
    },
    logging: (c) => {
      const exports = list(c.props.EnableCloudwatchLogsExports);
      return exports.length > 0 ? `log exports: ${exports.join(', ')}` : 'no log exports';
    },
    publicExposure: (c) => (c.props.PubliclyAccessible === true ? 'PUBLICLY ACCESSIBLE' : 'private'),
  },
  'AWS::Logs::LogGroup': {
    encryption: (c) => (c.props.KmsKeyId !== undefined ? kmsKey(c, c.props.KmsKeyId) : 'CloudWatch default encryption'),
    logging: (c) =>
      c.props.RetentionInDays !== undefined ? `retention ${c.props.RetentionInDays} days` : 'retention never expires',
  },
  'AWS::SNS::Topic': {
    encryption: (c) => (c.props.KmsMasterKeyId !== undefined ? kmsKey(c, c.props.KmsMasterKeyId) : 'NOT encrypted'),
  },
  'AWS::SecretsManager::Secret': { encryption: (c) => kmsKey(c, c.props.KmsKeyId) },
  'AWS::Backup::BackupVault': {
    encryption: (c) => kmsKey(c, c.props.EncryptionKeyArn),
    publicExposure: (c) => (c.props.LockConfiguration !== undefined ? 'vault lock on' : NOT_APPLICABLE),
  },
  'AWS::KMS::Key': {
    encryption: (c) =>
      `customer-managed key, rotation ${c.props.EnableKeyRotation === true ? `on (${c.props.RotationPeriodInDays ?? 365} days)` : 'OFF'}`,
  },
  'AWS::CloudTrail::Trail': {
    encryption: (c) => kmsKey(c, c.props.KMSKeyId),
    logging: (c) =>
      [
        c.props.IsMultiRegionTrail === true ? 'multi-region' : 'single-region',
        c.props.EnableLogFileValidation === true ? 'log-file validation' : 'NO log-file validation',
        c.props.CloudWatchLogsLogGroupArn !== undefined ? `to ${label(c, c.props.CloudWatchLogsLogGroupArn)}` : '',
        c.props.EventSelectors !== undefined || c.props.AdvancedEventSelectors !== undefined ? 'S3 data events' : '',
      ]
        .filter(Boolean)
        .join(', '),
  },
  'AWS::EC2::VPC': {
    logging: (c) => {
      const flows = referrers(c, 'AWS::EC2::FlowLog', 'ResourceId');
      return flows.length > 0
        ? `flow logs (${flows.map((f) => f.props.TrafficType ?? 'ALL').join(', ')})`
        : 'no flow logs';
    },
    publicExposure: (c) =>
      referrers(c, 'AWS::EC2::VPCGatewayAttachment', 'VpcId').some((a) => a.props.InternetGatewayId !== undefined)
        ? `internet gateway attached; tenancy ${c.props.InstanceTenancy ?? 'default'}`
        : `no internet gateway; tenancy ${c.props.InstanceTenancy ?? 'default'}`,
  },
  'AWS::EC2::LaunchTemplate': {
    encryption: (c) => ebsEncryption(c, record(c.props.LaunchTemplateData).BlockDeviceMappings),
    logging: (c) =>
      record(record(c.props.LaunchTemplateData).Monitoring).Enabled === true ? 'detailed monitoring' : NOT_APPLICABLE,
    publicExposure: (c) => {
      const data = record(c.props.LaunchTemplateData);
      const publicIp = list(data.NetworkInterfaces).some((n) => record(n).AssociatePublicIpAddress === true);
      const imds = record(data.MetadataOptions).HttpTokens === 'required' ? 'IMDSv2 required' : 'IMDSv1 allowed';
      return publicIp ? `public IP; ${imds}` : imds;
    },
  },
  'AWS::EC2::Instance': {
    encryption: (c) => {
      const template = record(c.props.LaunchTemplate);
      const ref = resolveReference(c.templates, c.self.stack, template.LaunchTemplateId ?? template.LaunchTemplateName);
      if (c.props.BlockDeviceMappings !== undefined) return ebsEncryption(c, c.props.BlockDeviceMappings);
      return ref ? `see launch template ${displayPath(c.templates, ref)}` : 'AMI default volumes';
    },
    logging: (c) => (c.props.Monitoring === true ? 'detailed monitoring' : NOT_APPLICABLE),
    publicExposure: (c) => {
      const subnet = resolveReference(c.templates, c.self.stack, c.props.SubnetId);
      const mapsPublic = subnet && record(resourceAt(c.templates, subnet)?.Properties).MapPublicIpOnLaunch === true;
      const iface = list(c.props.NetworkInterfaces).some((n) => record(n).AssociatePublicIpAddress === true);
      return mapsPublic || iface ? 'public IP (public subnet)' : 'private IP only';
    },
  },
  'AWS::EC2::SecurityGroup': {
    publicExposure: (c) => {
      const separate = referrers(c, 'AWS::EC2::SecurityGroupIngress', 'GroupId').map((r) => r.props);
      const rules = [...list(c.props.SecurityGroupIngress).map(record), ...separate];
      const cidrRules = rules.map(ingressRule).filter((r): r is string => r !== undefined);
      const fromGroups = rules.length - cidrRules.length;
      const parts = [
        ...cidrRules.sort(compareText),
        fromGroups > 0 ? `${fromGroups} rule(s) from security groups` : '',
      ];
      return parts.some(Boolean) ? parts.filter(Boolean).join('; ') : 'no inbound rules';
    },
  },
  'AWS::EC2::NetworkAcl': {
    publicExposure: (c) => {
      const open = referrers(c, 'AWS::EC2::NetworkAclEntry', 'NetworkAclId')
        .map((e) => e.props)
        .filter(
          (p) =>
            p.Egress !== true && p.RuleAction === 'allow' && OPEN_CIDRS.has(String(p.CidrBlock ?? p.Ipv6CidrBlock)),
        )
        .map((p) => {
          const range = record(p.PortRange);
          return range.From === range.To ? `${range.From}` : `${range.From ?? 'all'}-${range.To ?? 'all'}`;
        });
      return open.length > 0 ? `inbound from anywhere: ${open.join(', ')}` : 'no inbound from anywhere';
    },
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    logging: (c) => {
      const attrs = list(c.props.LoadBalancerAttributes).map(record);
      const on = attrs.some((a) => a.Key === 'access_logs.s3.enabled' && a.Value === 'true');
      const bucket = attrs.find((a) => a.Key === 'access_logs.s3.bucket')?.Value;
      return on ? `access logs to ${label(c, bucket)}` : 'no access logs';
    },
    publicExposure: (c) => {
      const ports = referrers(c, 'AWS::ElasticLoadBalancingV2::Listener', 'LoadBalancerArn')
        .map((l) => `${l.props.Protocol} ${l.props.Port}`)
        .sort(compareText);
      return `${c.props.Scheme ?? 'internet-facing'}${ports.length > 0 ? `: ${ports.join(', ')}` : ''}`;
    },
  },
  'AWS::WAFv2::WebACL': {
    logging: (c) => {
      const configs = referrers(c, 'AWS::WAFv2::LoggingConfiguration', 'ResourceArn');
      const destination = list(configs[0]?.props.LogDestinationConfigs)[0];
      return configs.length > 0 ? `WAF logs to ${label(c, destination)}` : 'no WAF logging';
    },
  },
  'AWS::ECS::TaskDefinition': {
    logging: (c) =>
      list(c.props.ContainerDefinitions)
        .map((d) => record(record(d).LogConfiguration).LogDriver ?? 'no log driver')
        .join(', ') || NOT_APPLICABLE,
  },
  'AWS::ECS::Cluster': {
    logging: (c) =>
      list(c.props.ClusterSettings).some((s) => record(s).Value === 'enabled' || record(s).Value === 'enhanced')
        ? 'Container Insights'
        : 'no Container Insights',
  },
  'AWS::Lambda::Function': {
    encryption: (c) =>
      c.props.KmsKeyArn !== undefined ? `environment ${kmsKey(c, c.props.KmsKeyArn)}` : NOT_APPLICABLE,
    logging: (c) => {
      const group = record(c.props.LoggingConfig).LogGroup;
      return group !== undefined ? `logs to ${label(c, group)}` : 'default log group';
    },
    publicExposure: (c) => (c.props.VpcConfig !== undefined ? 'in VPC' : 'no VPC (AWS-managed network)'),
  },
  'AWS::Cognito::UserPool': {
    publicExposure: (c) =>
      `public sign-in endpoint; MFA ${c.props.MfaConfiguration ?? 'OFF'}; ${
        record(c.props.AdminCreateUserConfig).AllowAdminCreateUserOnly === true ? 'no self sign-up' : 'self sign-up'
      }`,
  },
  'AWS::Cognito::IdentityPool': {
    publicExposure: (c) =>
      c.props.AllowUnauthenticatedIdentities === true ? 'UNAUTHENTICATED identities allowed' : 'authenticated only',
  },
};

function describe(templates: Templates, stack: string, logicalId: string, r: CfnTemplateResource): InventoryItem {
  const d = DESCRIBERS[r.Type];
  const c: Context = { templates, self: { stack, logicalId }, props: record(r.Properties) };
  const deletion = r.DeletionPolicy ?? 'Delete (default)';
  return {
    resource: displayPath(templates, c.self),
    logicalId,
    type: r.Type,
    encryption: d.encryption?.(c) ?? NOT_APPLICABLE,
    logging: d.logging?.(c) ?? NOT_APPLICABLE,
    publicExposure: d.publicExposure?.(c) ?? NOT_APPLICABLE,
    deletionPolicy:
      r.UpdateReplacePolicy && r.UpdateReplacePolicy !== deletion
        ? `${deletion} (replace: ${r.UpdateReplacePolicy})`
        : deletion,
  };
}

/** The inventory of every stack: described resource types listed one by one, the rest counted by type. */
export function inventoryOf(templates: Templates): StackInventory[] {
  return [...templates.entries()].map(([stack, template]) => {
    const resources = Object.entries(template.Resources ?? {}).sort(([a], [b]) => compareText(a, b));
    const items = resources
      .filter(([, r]) => DESCRIBERS[r.Type] !== undefined)
      .map(([id, r]) => describe(templates, stack, id, r))
      .sort((a, b) => compareText(a.type, b.type) || compareText(a.resource, b.resource));
    const counts = new Map<string, number>();
    for (const [, r] of resources) if (!DESCRIBERS[r.Type]) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
    const otherResources = [...counts.entries()]
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => compareText(a.type, b.type));
    return { stack, items, otherResources };
  });
}
