import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { finding, findingsOf, testStack } from './support';

const db = (stack: Stack, id: string, props: Partial<rds.CfnDBInstanceProps>) =>
  new rds.CfnDBInstance(stack, id, { dbInstanceClass: 'db.m6i.large', engine: 'postgres', ...props });

const fn = (stack: Stack, id: string, props: Partial<lambda.CfnFunctionProps>) =>
  new lambda.CfnFunction(stack, id, { role: 'arn:aws:iam::123456789012:role/r', code: { zipFile: 'x' }, ...props });

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

describe('RDSSupportedEngineVersion', () => {
  test('compliant: PostgreSQL 18 and 16.4', () => {
    const stack = testStack();
    db(stack, 'A', { engineVersion: '18' });
    db(stack, 'B', { engineVersion: '16.4' });
    expect(findingsOf(stack, 'RDSSupportedEngineVersion')).toEqual([]);
  });

  test('non-compliant: PostgreSQL 13, an unpinned version, an unlisted engine', () => {
    const stack = testStack();
    const old = db(stack, 'Old', { engineVersion: '13.15' });
    const unpinned = db(stack, 'Unpinned', {});
    const mysql = db(stack, 'MySql', { engine: 'mysql', engineVersion: '8.0.39' });
    expect(findingsOf(stack, 'RDSSupportedEngineVersion')).toEqual(
      [old, unpinned, mysql].map((d) => finding('RDSSupportedEngineVersion', d)).sort(),
    );
  });

  test('intrinsic: a parameter-valued version fails closed', () => {
    const stack = testStack();
    const d = db(stack, 'Db', { engineVersion: new CfnParameter(stack, 'Version').valueAsString });
    expect(findingsOf(stack, 'RDSSupportedEngineVersion')).toEqual([finding('RDSSupportedEngineVersion', d)]);
  });
});

describe('LambdaSupportedRuntime', () => {
  test('compliant: Node.js 22/24; container images are not judged', () => {
    const stack = testStack();
    fn(stack, 'A', { runtime: 'nodejs24.x' });
    fn(stack, 'B', { runtime: 'nodejs22.x' });
    fn(stack, 'Image', {
      packageType: 'Image',
      code: { imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/f:1' },
    });
    expect(findingsOf(stack, 'LambdaSupportedRuntime')).toEqual([]);
  });

  test('non-compliant: Node.js 18 and Python 3.9', () => {
    const stack = testStack();
    const node18 = fn(stack, 'Node18', { runtime: 'nodejs18.x' });
    const py39 = fn(stack, 'Py39', { runtime: 'python3.9' });
    expect(findingsOf(stack, 'LambdaSupportedRuntime')).toEqual(
      [finding('LambdaSupportedRuntime', node18), finding('LambdaSupportedRuntime', py39)].sort(),
    );
  });

  test('intrinsic: an imported runtime fails closed', () => {
    const stack = testStack();
    const f = fn(stack, 'F', { runtime: Fn.importValue('Runtime') });
    expect(findingsOf(stack, 'LambdaSupportedRuntime')).toEqual([finding('LambdaSupportedRuntime', f)]);
  });
});

describe('EC2SupportedAmi', () => {
  test('compliant: resolve:ssm AL2023, the ECS-optimized AL2023 parameter, and the AMI via the launch template', () => {
    const stack = testStack();
    new ec2.CfnInstance(stack, 'Direct', { imageId: `resolve:ssm:${AL2023}` });
    const ecsAmi = new CfnParameter(stack, 'EcsAmi', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      default: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
    });
    const template = new ec2.CfnLaunchTemplate(stack, 'Hosts', {
      launchTemplateData: { imageId: ecsAmi.valueAsString },
    });
    new ec2.CfnInstance(stack, 'ViaTemplate', { launchTemplate: { launchTemplateId: template.ref, version: '1' } });
    expect(findingsOf(stack, 'EC2SupportedAmi')).toEqual([]);
  });

  test('non-compliant: a literal AMI id, an Amazon Linux 2 parameter, no AMI at all', () => {
    const stack = testStack();
    const literal = new ec2.CfnInstance(stack, 'Literal', { imageId: 'ami-0123456789abcdef0' });
    const al2 = new ec2.CfnLaunchTemplate(stack, 'Al2', {
      launchTemplateData: { imageId: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2' },
    });
    const none = new ec2.CfnInstance(stack, 'None', {});
    expect(findingsOf(stack, 'EC2SupportedAmi')).toEqual(
      [literal, al2, none].map((r) => finding('EC2SupportedAmi', r)).sort(),
    );
  });

  test('intrinsic: an imported AMI id fails closed', () => {
    const stack = testStack();
    const i = new ec2.CfnInstance(stack, 'Imported', { imageId: Fn.importValue('Ami') });
    expect(findingsOf(stack, 'EC2SupportedAmi')).toEqual([finding('EC2SupportedAmi', i)]);
  });
});
