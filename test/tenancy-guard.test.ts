import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { assertDedicatedTenancyCompatible, findTenancyProblems, TenancyError } from '../lib/tenancy-guard';
import { buildTestKit } from './support/kit';

function stackWithVpc() {
  const stack = new Stack(new App(), 'Fixture', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'] });
  return { stack, vpc };
}

describe('tenancy guard', () => {
  test('the kit itself passes with dedicated tenancy', () => {
    const kit = buildTestKit();
    expect(findTenancyProblems(kit.network.node.root)).toEqual([]);
  });

  test('flags Fargate, VPC Lambda, ElastiCache, RDS Proxy and burstable classes by construct path', () => {
    const { stack, vpc } = stackWithVpc();
    new ecs.FargateTaskDefinition(stack, 'FargateTask');
    new lambda.Function(stack, 'VpcLambda', {
      runtime: lambda.Runtime.NODEJS_LATEST,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      vpc,
    });
    new elasticache.CfnCacheCluster(stack, 'Cache', {
      cacheNodeType: 'cache.m6g.large',
      engine: 'redis',
      numCacheNodes: 1,
    });
    const db = new rds.DatabaseInstance(stack, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      instanceType: new ec2.InstanceType('t3.medium'),
      vpc,
    });
    db.addProxy('Proxy', { secrets: [db.secret!], vpc });
    new ec2.Instance(stack, 'Graviton', {
      vpc,
      instanceType: new ec2.InstanceType('t4g.small'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });

    const problems = findTenancyProblems(stack);
    const expectations = [
      /Fixture\/FargateTask\/Resource is a Fargate task definition/,
      /Fixture\/VpcLambda\/Resource is a Lambda function attached to the VPC/,
      /Fixture\/Cache is ElastiCache/,
      /Fixture\/Db\/Proxy\/Resource is an RDS Proxy/,
      /Fixture\/Db\/Resource is a burstable database class \(db\.t3\.medium\)/,
      /Fixture\/Graviton\/Resource is a t4g\.small instance/,
    ];
    for (const expected of expectations) expect(problems.some((p) => expected.test(p))).toBe(true);
    expect(problems.every((p) => p.includes('set tenancy to "default"'))).toBe(true);
    expect(() => assertDedicatedTenancyCompatible(stack)).toThrow(TenancyError);
  });

  test('T3 instances and non-VPC Lambdas are allowed', () => {
    const { stack, vpc } = stackWithVpc();
    new ec2.Instance(stack, 'T3', {
      vpc,
      instanceType: new ec2.InstanceType('t3.micro'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });
    new lambda.Function(stack, 'PlainLambda', {
      runtime: lambda.Runtime.NODEJS_LATEST,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    expect(findTenancyProblems(stack)).toEqual([]);
  });
});
