import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { App, Validations } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PillarsChecks } from '../policies/pillars-checks';
import { buildKit } from '../lib/kit-app';
import { KitKeys } from '../constructs/kit-keys';
import { HardenedVpc } from '../constructs/hardened-vpc';
import { KeysStack } from '../lib/keys-stack';
import { NetworkStack } from '../lib/network-stack';
import { buildTestKit, CDK_JSON_CONTEXT, testConfig } from './support/kit';

type Resource = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered CloudFormation properties are untyped JSON
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
};

const VPC_CIDR = '10.40.0.0/16';

function aclEntries(template: Template, aclIdFragment: string) {
  const acls = template.findResources('AWS::EC2::NetworkAcl');
  const aclId = Object.keys(acls).find((id) => id.includes(aclIdFragment));
  expect(aclId).toBeDefined();
  return Object.values(template.findResources('AWS::EC2::NetworkAclEntry') as Record<string, Resource>)
    .map((r) => r.Properties)
    .filter((p) => p.NetworkAclId?.Ref === aclId)
    .map((p) => ({
      direction: p.Egress ? 'out' : 'in',
      rule: p.RuleNumber,
      cidr: p.CidrBlock ?? p.Ipv6CidrBlock,
      protocol: p.Protocol,
      ports: p.PortRange ? `${p.PortRange.From}-${p.PortRange.To}` : 'all',
      action: p.RuleAction,
    }));
}

describe('NetworkStack (example profile)', () => {
  const kit = buildTestKit();
  const template = Template.fromStack(kit.network);

  test('synthesizes offline: no lookups, no missing context, no error annotations', () => {
    const assembly = kit.network.node.root as App;
    expect(assembly.synth().manifest.missing ?? []).toEqual([]);
    expect(Annotations.fromStack(kit.network).findError('*', Match.anyValue())).toEqual([]);
  });

  test('the VPC has dedicated tenancy, the configured CIDR and DNS for private endpoints', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: VPC_CIDR,
      InstanceTenancy: 'dedicated',
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
  });

  test('public, private and isolated subnets in exactly the configured zones, none auto-assigning public IPs', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet') as Record<string, Resource>);
    expect(subnets).toHaveLength(6);
    expect(new Set(subnets.map((s) => s.Properties.AvailabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    for (const s of subnets) expect(s.Properties.MapPublicIpOnLaunch).not.toBe(true);
    const types = subnets.map(
      (s) => s.Properties.Tags.find((t: { Key: string }) => t.Key === 'aws-cdk:subnet-type').Value,
    );
    expect(types.sort()).toEqual(['Isolated', 'Isolated', 'Private', 'Private', 'Public', 'Public']);
  });

  test('NAT gateways follow the config', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('flow logs capture ALL traffic of the VPC into a CMK-encrypted, retained log group', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      ResourceId: { Ref: Match.stringLikeRegexp('^Vpc') },
      LogGroupName: { Ref: Match.stringLikeRegexp('^VpcFlowLogGroup') },
    });
    const groups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
    const flowGroup = Object.entries(groups).find(([id]) => id.startsWith('VpcFlowLogGroup'))![1];
    expect(flowGroup.Properties.KmsKeyId).toBeDefined();
    expect(flowGroup.Properties.RetentionInDays).toBe(731);
    expect(flowGroup.DeletionPolicy).toBe('Retain');
    expect(flowGroup.UpdateReplacePolicy).toBe('Retain');
  });

  test('every log group in the stack is CMK-encrypted, has a retention and is retained', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) {
      expect(g.Properties.KmsKeyId).toBeDefined();
      expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
      expect(g.DeletionPolicy).toBe('Retain');
    }
  });

  test('the flow-log role trusts only this account and its flow logs, with a managed (not inline) policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*' },
            },
          }),
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policy = Object.values(
      template.findResources('AWS::IAM::ManagedPolicy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^VpcFlowLogRole') }] },
      }) as Record<string, Resource>,
    );
    expect(policy).toHaveLength(1);
    const statements = policy[0].Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect([statements[0].Action].flat().sort()).toEqual([
      'logs:CreateLogStream',
      'logs:DescribeLogStreams',
      'logs:PutLogEvents',
    ]);
    expect(statements[0].Resource['Fn::GetAtt'][0]).toMatch(/^VpcFlowLogGroup/);
  });

  test('the default security group is stripped, and its restrictor logs to a CMK log group (not VPC-attached)', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    const fns = Object.values(template.findResources('AWS::Lambda::Function') as Record<string, Resource>);
    expect(fns).toHaveLength(1);
    expect(fns[0].Properties.VpcConfig).toBeUndefined();
    expect(fns[0].Properties.LoggingConfig.LogGroup.Ref).toMatch(/^VpcDefaultSgRestrictorLogGroup/);
  });

  test("the restrictor's role has no inline policy: its one statement is a customer-managed policy it waits for", () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
      },
    }) as Record<string, Resource>;
    const [roleId, role] = Object.entries(roles).find(([id]) => id.startsWith('CustomVpcRestrictDefaultSG'))!;
    expect(role.Properties.Policies).toBeUndefined();
    const [policyId, policy] = Object.entries(
      template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } }) as Record<
        string,
        Resource
      >,
    )[0];
    expect([policy.Properties.PolicyDocument.Statement[0].Action].flat().sort()).toEqual([
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
    ]);
    expect(JSON.stringify(policy.Properties.PolicyDocument.Statement[0].Resource)).toContain('security-group/');
    const restrictor = Object.values(
      template.findResources('Custom::VpcRestrictDefaultSG') as Record<string, Resource>,
    )[0];
    expect(restrictor.DependsOn).toContain(policyId);
  });

  test('public NACL: from outside only 80, 443, 22 from admin CIDRs and ephemeral returns', () => {
    const entries = aclEntries(template, 'PublicAcl');
    expect(entries.filter((e) => e.action !== 'allow')).toEqual([]);
    const inbound = entries
      .filter((e) => e.direction === 'in')
      .map(({ cidr, protocol, ports }) => [cidr, protocol, ports]);
    expect(inbound).toEqual(
      expect.arrayContaining([
        [VPC_CIDR, -1, 'all'],
        ['0.0.0.0/0', 6, '443-443'],
        ['0.0.0.0/0', 6, '80-80'],
        ['0.0.0.0/0', 6, '1024-65535'],
        ['203.0.113.0/28', 6, '22-22'],
      ]),
    );
    expect(inbound).toHaveLength(5);
    const outbound = entries
      .filter((e) => e.direction === 'out')
      .map(({ cidr, protocol, ports }) => [cidr, protocol, ports]);
    expect(outbound).toEqual(
      expect.arrayContaining([
        [VPC_CIDR, -1, 'all'],
        ['0.0.0.0/0', 6, '443-443'],
        ['0.0.0.0/0', 6, '1024-65535'],
      ]),
    );
    expect(outbound).toHaveLength(3);
  });

  test('no NACL admits SSH, FTP, telnet or any other port below 1024 from outside except 80/443 (pillar P10/P12)', () => {
    const external = Object.values(template.findResources('AWS::EC2::NetworkAclEntry') as Record<string, Resource>)
      .map((r) => r.Properties)
      .filter((p) => !p.Egress && p.CidrBlock !== VPC_CIDR && p.RuleAction === 'allow');
    for (const p of external) {
      expect(p.Protocol).toBe(6);
      const { From, To } = p.PortRange;
      const allowed = (From === 80 && To === 80) || (From === 443 && To === 443) || From >= 1024;
      const adminSsh = From === 22 && To === 22 && p.CidrBlock === '203.0.113.0/28';
      expect(allowed || adminSsh).toBe(true);
    }
  });

  test('private NACL: inbound only from the VPC plus ephemeral returns; out to the VPC and HTTPS', () => {
    const entries = aclEntries(template, 'PrivateAcl').map(({ direction, cidr, protocol, ports }) => [
      direction,
      cidr,
      protocol,
      ports,
    ]);
    expect(entries.sort()).toEqual(
      [
        ['in', VPC_CIDR, -1, 'all'],
        ['in', '0.0.0.0/0', 6, '1024-65535'],
        ['out', VPC_CIDR, -1, 'all'],
        ['out', '0.0.0.0/0', 6, '443-443'],
      ].sort(),
    );
  });

  test('isolated NACL: traffic only to and from the VPC CIDR', () => {
    const entries = aclEntries(template, 'IsolatedAcl').map(({ direction, cidr, ports }) => [direction, cidr, ports]);
    expect(entries.sort()).toEqual([
      ['in', VPC_CIDR, 'all'],
      ['out', VPC_CIDR, 'all'],
    ]);
  });

  test('every subnet is associated with one of the kit NACLs (none left on the allow-all default)', () => {
    template.resourceCountIs('AWS::EC2::SubnetNetworkAclAssociation', 6);
  });

  test('IGW routes are acknowledged on each public default route, namespaced, for HIPAA and NIST', () => {
    for (const subnet of kit.network.vpc.publicSubnets) {
      const route = subnet.node.findChild('DefaultRoute');
      const ids = route.node.metadata
        .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.keys(m.data));
      expect(ids).toEqual(
        expect.arrayContaining([
          'HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
          'NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
        ]),
      );
    }
  });

  test('S3 and DynamoDB gateway endpoints, each on every route table', () => {
    const gateway = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Record<string, Resource>).filter(
      (e) => e.Properties.VpcEndpointType === 'Gateway',
    );
    // Gateway service names are joined from the region and the URL suffix: compare them as rendered.
    const names = gateway.map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(names).toHaveLength(2);
    expect(names.filter((n) => n.includes('.s3"'))).toHaveLength(1);
    expect(names.filter((n) => n.includes('.dynamodb"'))).toHaveLength(1);
    const routeTables = Object.keys(template.findResources('AWS::EC2::RouteTable')).sort();
    expect(routeTables).toHaveLength(6);
    for (const e of gateway) {
      expect(e.Properties.RouteTableIds.map((r: { Ref: string }) => r.Ref).sort()).toEqual(routeTables);
    }
  });

  test('interface endpoints for KMS, Secrets Manager, ECR api/dkr, Logs, SNS, SSM (+ Session Manager channels)', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Record<string, Resource>)
      .filter((e) => e.Properties.VpcEndpointType === 'Interface')
      .map((e) => e.Properties.ServiceName as string);
    expect(services.sort()).toEqual(
      ['kms', 'secretsmanager', 'ecr.api', 'ecr.dkr', 'logs', 'sns', 'ssm', 'ssmmessages', 'ec2messages']
        .map((s) => `com.amazonaws.us-east-1.${s}`)
        .sort(),
    );
  });

  test('each interface endpoint has private DNS, its own security group, and that group admits only 443 from the VPC', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Record<string, Resource>).filter(
      (e) => e.Properties.VpcEndpointType === 'Interface',
    );
    const groupIds = endpoints.map((e) => {
      expect(e.Properties.PrivateDnsEnabled).toBe(true);
      expect(e.Properties.SecurityGroupIds).toHaveLength(1);
      return e.Properties.SecurityGroupIds[0]['Fn::GetAtt'][0] as string;
    });
    expect(new Set(groupIds).size).toBe(endpoints.length);
    const groups = template.findResources('AWS::EC2::SecurityGroup') as Record<string, Resource>;
    for (const id of groupIds) {
      expect(groups[id].Properties.SecurityGroupIngress).toEqual([
        { CidrIp: VPC_CIDR, Description: 'HTTPS from the VPC CIDR', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
      ]);
    }
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0); // no rule added outside the groups above
  });
});

describe('NetworkStack (config variations)', () => {
  test('default tenancy and a single NAT gateway', () => {
    const template = Template.fromStack(buildTestKit({ tenancy: 'default', natGateways: 1 }).network);
    template.hasResourceProperties('AWS::EC2::VPC', { InstanceTenancy: 'default' });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('three zones give three subnets per tier', () => {
    const template = Template.fromStack(
      buildTestKit({ availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }).network,
    );
    template.resourceCountIs('AWS::EC2::Subnet', 9);
  });

  test('without Session Manager, no ssmmessages or ec2messages endpoints', () => {
    const template = Template.fromStack(buildTestKit({ bastion: { ssmSessionManager: false } }).network);
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Record<string, Resource>).map(
      (e) => JSON.stringify(e.Properties.ServiceName),
    );
    expect(services.some((s) => s.includes('ssmmessages') || s.includes('ec2messages'))).toBe(false);
    expect(services.some((s) => s.endsWith('.ssm"'))).toBe(true);
  });

  test('every admin CIDR gets its own SSH rule on the public NACL', () => {
    const template = Template.fromStack(buildTestKit({ adminCidrs: ['203.0.113.0/28', '198.51.100.7/32'] }).network);
    const ssh = aclEntries(template, 'PublicAcl').filter((e) => e.ports === '22-22');
    expect(ssh.map((e) => e.cidr).sort()).toEqual(['198.51.100.7/32', '203.0.113.0/28']);
  });

  test('more admin CIDRs than a NACL can hold are refused', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const config = testConfig();
    const keys = new KeysStack(app, 'Keys', { config }).keys as KitKeys;
    const stack = new NetworkStack(app, 'Net', { config, keys });
    expect(
      () =>
        new HardenedVpc(stack, 'TooMany', {
          cidr: '10.50.0.0/16',
          availabilityZones: config.availabilityZones,
          tenancy: 'default',
          natGateways: 1,
          adminCidrs: Array.from({ length: 16 }, (_, i) => `198.51.100.${i}/32`),
          logsKey: keys.logsKey,
          logRetentionDays: 365,
        }),
    ).toThrow(/admin CIDRs exceed/);
  });
});

describe('default tenancy', () => {
  test('is recorded as an acknowledged Pillars finding, not an open one', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'kit-default-tenancy-'));
    try {
      const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
      buildKit(app, testConfig({ tenancy: 'default' }));
      Validations.of(app).addPlugins(new PillarsChecks(app));
      app.synth();
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
      const pillars = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === 'Pillars');
      expect(pillars.violations).toEqual([]);
      expect(pillars.suppressedViolations.map((v: { ruleName: string }) => v.ruleName)).toEqual([
        'Pillars-VPCDedicatedTenancy[InstanceTenancy::default]',
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
