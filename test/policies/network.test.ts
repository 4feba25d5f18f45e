import { CfnParameter, Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Stack } from 'aws-cdk-lib';
import { finding, findingsOf, testStack } from './support';

const VPC_CIDR = '10.40.0.0/16';

function vpc(stack: Stack, props: Partial<ec2.CfnVPCProps> = {}) {
  return new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: VPC_CIDR, instanceTenancy: 'dedicated', ...props });
}

function sg(stack: Stack, ingress: ec2.CfnSecurityGroup.IngressProperty[]) {
  return new ec2.CfnSecurityGroup(stack, 'Sg', {
    groupDescription: 'test',
    vpcId: 'vpc-1',
    securityGroupIngress: ingress,
  });
}

const tcp = (port: number, cidrIp: string) => ({ ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIp });

describe('VPCDedicatedTenancy', () => {
  test('compliant: dedicated tenancy', () => {
    const stack = testStack();
    vpc(stack);
    expect(findingsOf(stack, 'VPCDedicatedTenancy')).toEqual([]);
  });

  test('non-compliant: default and unset tenancy name the value in the finding', () => {
    const stack = testStack();
    const explicit = vpc(stack, { instanceTenancy: 'default' });
    const unset = new ec2.CfnVPC(stack, 'Unset', { cidrBlock: '10.1.0.0/16' });
    expect(findingsOf(stack, 'VPCDedicatedTenancy')).toEqual(
      [
        finding('VPCDedicatedTenancy', explicit, 'InstanceTenancy::default'),
        finding('VPCDedicatedTenancy', unset, 'InstanceTenancy::default'),
      ].sort(),
    );
  });

  test('non-compliant: an escape-hatch override is seen (rules read the rendered template)', () => {
    const stack = testStack();
    const v = vpc(stack);
    v.addPropertyOverride('InstanceTenancy', 'default');
    expect(findingsOf(stack, 'VPCDedicatedTenancy')).toEqual([
      finding('VPCDedicatedTenancy', v, 'InstanceTenancy::default'),
    ]);
  });

  test('intrinsic: a parameter-valued tenancy fails closed without crashing', () => {
    const stack = testStack();
    const tenancy = new CfnParameter(stack, 'Tenancy').valueAsString;
    const v = vpc(stack, { instanceTenancy: tenancy });
    expect(findingsOf(stack, 'VPCDedicatedTenancy')).toEqual([
      finding('VPCDedicatedTenancy', v, 'InstanceTenancy::unresolved'),
    ]);
  });
});

describe('SecurityGroupIngressAllowList', () => {
  test('compliant: 80/443 from anywhere, 22 from a listed CIDR, anything from the VPC or another group', () => {
    const stack = testStack();
    vpc(stack);
    const group = sg(stack, [
      tcp(443, '0.0.0.0/0'),
      { ipProtocol: 'tcp', fromPort: 80, toPort: 80, cidrIpv6: '::/0' },
      tcp(22, '203.0.113.0/28'),
      tcp(5432, '10.40.3.0/24'),
      { ipProtocol: '-1', cidrIp: VPC_CIDR },
    ]);
    new ec2.CfnSecurityGroupIngress(stack, 'FromGroup', {
      groupId: group.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: 8080,
      toPort: 8080,
      sourceSecurityGroupId: group.attrGroupId,
    });
    expect(findingsOf(stack, 'SecurityGroupIngressAllowList')).toEqual([]);
  });

  test('non-compliant: 22 from anywhere, RDP/FTP/DB ports and all traffic from outside the VPC', () => {
    const stack = testStack();
    vpc(stack);
    const group = sg(stack, [
      tcp(22, '0.0.0.0/0'),
      tcp(3389, '198.51.100.0/24'),
      { ipProtocol: 'tcp', fromPort: 20, toPort: 21, cidrIp: '0.0.0.0/0' },
      { ipProtocol: '-1', cidrIp: '10.99.0.0/16' },
    ]);
    const standalone = new ec2.CfnSecurityGroupIngress(stack, 'Db', {
      groupId: group.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidrIpv6: '::/0',
    });
    expect(findingsOf(stack, 'SecurityGroupIngressAllowList')).toEqual(
      [
        finding('SecurityGroupIngressAllowList', group, 'tcp:22-22:from:0.0.0.0/0'),
        finding('SecurityGroupIngressAllowList', group, 'tcp:3389-3389:from:198.51.100.0/24'),
        finding('SecurityGroupIngressAllowList', group, 'tcp:20-21:from:0.0.0.0/0'),
        finding('SecurityGroupIngressAllowList', group, 'all:all:from:10.99.0.0/16'),
        finding('SecurityGroupIngressAllowList', standalone, 'tcp:5432-5432:from:::/0'),
      ].sort(),
    );
  });

  test('non-compliant: with no VPC in the app, a private CIDR is still outside', () => {
    const stack = testStack();
    const group = sg(stack, [tcp(5432, '10.40.0.0/24')]);
    expect(findingsOf(stack, 'SecurityGroupIngressAllowList')).toEqual([
      finding('SecurityGroupIngressAllowList', group, 'tcp:5432-5432:from:10.40.0.0/24'),
    ]);
  });

  test('intrinsic: the VPC CIDR by Fn::GetAtt is inside; imported CIDRs and token ports fail closed', () => {
    const stack = testStack();
    const v = vpc(stack);
    const group = sg(stack, [
      { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: v.attrCidrBlock },
      tcp(443, Fn.importValue('SomeCidr')),
    ]);
    const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
    const tokenPort = new ec2.CfnSecurityGroupIngress(stack, 'TokenPort', {
      groupId: group.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      cidrIp: '203.0.113.0/28',
    });
    expect(findingsOf(stack, 'SecurityGroupIngressAllowList')).toEqual(
      [
        finding('SecurityGroupIngressAllowList', group, 'tcp:443-443:from:unresolved-source'),
        finding('SecurityGroupIngressAllowList', tokenPort, 'tcp:unresolved:from:203.0.113.0/28'),
      ].sort(),
    );
  });
});

describe('NetworkAclIngressAllowList', () => {
  function entry(stack: Stack, id: string, props: Partial<ec2.CfnNetworkAclEntryProps>) {
    return new ec2.CfnNetworkAclEntry(stack, id, {
      networkAclId: 'acl-1',
      protocol: 6,
      ruleAction: 'allow',
      ruleNumber: 100,
      egress: false,
      ...props,
    });
  }

  test('compliant: 80/443 from anywhere, 22 from a listed CIDR, ephemeral returns, VPC-internal, deny and egress', () => {
    const stack = testStack();
    vpc(stack);
    entry(stack, 'Https', { cidrBlock: '0.0.0.0/0', portRange: { from: 443, to: 443 } });
    entry(stack, 'Http', { cidrBlock: '0.0.0.0/0', portRange: { from: 80, to: 80 } });
    entry(stack, 'Ssh', { cidrBlock: '203.0.113.0/28', portRange: { from: 22, to: 22 } });
    entry(stack, 'Ephemeral', { cidrBlock: '0.0.0.0/0', portRange: { from: 1024, to: 65535 } });
    entry(stack, 'Internal', { cidrBlock: VPC_CIDR, protocol: -1 });
    entry(stack, 'DenyAll', { cidrBlock: '0.0.0.0/0', protocol: -1, ruleAction: 'deny' });
    entry(stack, 'Egress', { cidrBlock: '0.0.0.0/0', protocol: -1, egress: true });
    expect(findingsOf(stack, 'NetworkAclIngressAllowList')).toEqual([]);
  });

  test('non-compliant: 22 from anywhere, telnet, all traffic, low port ranges, RDP inside the return range', () => {
    const stack = testStack();
    vpc(stack);
    const ssh = entry(stack, 'Ssh', { cidrBlock: '0.0.0.0/0', portRange: { from: 22, to: 22 } });
    const telnet = entry(stack, 'Telnet', { cidrBlock: '198.51.100.7/32', portRange: { from: 23, to: 23 } });
    const all = entry(stack, 'All', { cidrBlock: '0.0.0.0/0', protocol: -1 });
    const wide = entry(stack, 'Wide', { ipv6CidrBlock: '::/0', portRange: { from: 0, to: 65535 } });
    const rdp = entry(stack, 'Rdp', { cidrBlock: '0.0.0.0/0', portRange: { from: 3389, to: 3389 } });
    expect(findingsOf(stack, 'NetworkAclIngressAllowList')).toEqual(
      [
        finding('NetworkAclIngressAllowList', ssh, 'tcp:22-22:from:0.0.0.0/0'),
        finding('NetworkAclIngressAllowList', telnet, 'tcp:23-23:from:198.51.100.7/32'),
        finding('NetworkAclIngressAllowList', all, 'all:all:from:0.0.0.0/0'),
        finding('NetworkAclIngressAllowList', wide, 'tcp:0-65535:from:::/0'),
        finding('NetworkAclIngressAllowList', rdp, 'tcp:3389-3389:from:0.0.0.0/0'),
      ].sort(),
    );
  });

  test('intrinsic: imported CIDR and token action fail closed, VPC CIDR by Fn::GetAtt passes', () => {
    const stack = testStack();
    const v = vpc(stack);
    entry(stack, 'Internal', { cidrBlock: v.attrCidrBlock, protocol: -1 });
    const imported = entry(stack, 'Imported', {
      cidrBlock: Fn.importValue('Cidr'),
      portRange: { from: 443, to: 443 },
    });
    const action = entry(stack, 'Action', {
      cidrBlock: '0.0.0.0/0',
      ruleAction: new CfnParameter(stack, 'ActionParam').valueAsString,
      portRange: { from: 443, to: 443 },
    });
    expect(findingsOf(stack, 'NetworkAclIngressAllowList')).toEqual(
      [
        finding('NetworkAclIngressAllowList', imported, 'tcp:443-443:from:unresolved-source'),
        finding('NetworkAclIngressAllowList', action, 'action:unresolved'),
      ].sort(),
    );
  });
});

describe('DedicatedVpcCompatibleServices', () => {
  function fargateTask(stack: Stack) {
    return new ecs.CfnTaskDefinition(stack, 'Task', {
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
    });
  }

  test('compliant: EC2 tasks, Lambda outside the VPC, m6i databases', () => {
    const stack = testStack();
    vpc(stack);
    new ecs.CfnTaskDefinition(stack, 'Task', { requiresCompatibilities: ['EC2'] });
    new lambda.CfnFunction(stack, 'Fn', { role: 'arn:aws:iam::123456789012:role/r', code: { zipFile: 'x' } });
    new rds.CfnDBInstance(stack, 'Db', { dbInstanceClass: 'db.m6i.large', engine: 'postgres' });
    expect(findingsOf(stack, 'DedicatedVpcCompatibleServices')).toEqual([]);
  });

  test('non-compliant: Fargate, VPC-attached Lambda, ElastiCache and RDS Proxy next to a dedicated VPC', () => {
    const stack = testStack();
    vpc(stack);
    const task = fargateTask(stack);
    const fn = new lambda.CfnFunction(stack, 'Fn', {
      role: 'arn:aws:iam::123456789012:role/r',
      code: { zipFile: 'x' },
      vpcConfig: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] },
    });
    const cache = new elasticache.CfnCacheCluster(stack, 'Cache', {
      cacheNodeType: 'cache.m6g.large',
      engine: 'redis',
      numCacheNodes: 1,
    });
    const proxy = new rds.CfnDBProxy(stack, 'Proxy', {
      dbProxyName: 'p',
      engineFamily: 'POSTGRESQL',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      vpcSubnetIds: ['subnet-1'],
      auth: [{ authScheme: 'SECRETS' }],
    });
    expect(findingsOf(stack, 'DedicatedVpcCompatibleServices')).toEqual(
      [task, fn, cache, proxy].map((r) => finding('DedicatedVpcCompatibleServices', r)).sort(),
    );
  });

  test('not applicable without a dedicated VPC; intrinsic values do not crash', () => {
    const stack = testStack();
    vpc(stack, { instanceTenancy: 'default' });
    fargateTask(stack);
    new rds.CfnDBInstance(stack, 'Db', {
      dbInstanceClass: new CfnParameter(stack, 'Class').valueAsString,
      engine: 'postgres',
    });
    expect(findingsOf(stack, 'DedicatedVpcCompatibleServices')).toEqual([]);
  });
});
