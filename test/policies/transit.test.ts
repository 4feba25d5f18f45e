import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { finding, findingsOf, testStack } from './support';

function listener(stack: Stack, id: string, props: Partial<elbv2.CfnListenerProps>) {
  return new elbv2.CfnListener(stack, id, {
    loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1',
    defaultActions: [{ type: 'forward', targetGroupArn: 'arn:tg' }],
    ...props,
  });
}

const redirect = [{ type: 'redirect', redirectConfig: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }];

function denyInsecure(
  resource: unknown,
  action = 's3:*',
  secureTransport: unknown = 'false',
  principal: unknown = { AWS: '*' },
  effect = 'Deny',
) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: effect,
        Principal: principal,
        Action: action,
        Resource: resource,
        Condition: { Bool: { 'aws:SecureTransport': secureTransport } },
      },
    ],
  };
}

describe('ELBTlsPolicy', () => {
  test('compliant: TLS 1.3/1.2 and TLS-1-2 policies; HTTP listeners are not judged', () => {
    const stack = testStack();
    listener(stack, 'A', { protocol: 'HTTPS', port: 443, sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    listener(stack, 'B', { protocol: 'TLS', port: 8443, sslPolicy: 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06' });
    listener(stack, 'C', { protocol: 'HTTP', port: 80, defaultActions: redirect });
    expect(findingsOf(stack, 'ELBTlsPolicy')).toEqual([]);
  });

  test('non-compliant: the default policy and a TLS 1.0 policy', () => {
    const stack = testStack();
    const unset = listener(stack, 'A', { protocol: 'HTTPS', port: 443 });
    const old = listener(stack, 'B', { protocol: 'HTTPS', port: 443, sslPolicy: 'ELBSecurityPolicy-2016-08' });
    expect(findingsOf(stack, 'ELBTlsPolicy')).toEqual(
      [finding('ELBTlsPolicy', unset), finding('ELBTlsPolicy', old)].sort(),
    );
  });

  test('intrinsic: a parameter-valued policy or protocol fails closed', () => {
    const stack = testStack();
    const policy = listener(stack, 'A', {
      protocol: 'HTTPS',
      port: 443,
      sslPolicy: new CfnParameter(stack, 'Policy').valueAsString,
    });
    const protocol = listener(stack, 'B', { protocol: new CfnParameter(stack, 'Protocol').valueAsString, port: 443 });
    expect(findingsOf(stack, 'ELBTlsPolicy')).toEqual(
      [finding('ELBTlsPolicy', policy), finding('ELBTlsPolicy', protocol)].sort(),
    );
  });
});

describe('ELBHttpRedirectOnly', () => {
  test('compliant: port 80 only redirects to HTTPS', () => {
    const stack = testStack();
    listener(stack, 'Http', { protocol: 'HTTP', port: 80, defaultActions: redirect });
    expect(findingsOf(stack, 'ELBHttpRedirectOnly')).toEqual([]);
  });

  test('non-compliant: HTTP forward, and a forwarding rule on the HTTP listener', () => {
    const stack = testStack();
    const forward = listener(stack, 'Forward', { protocol: 'HTTP', port: 8080 });
    const http = listener(stack, 'Http', { protocol: 'HTTP', port: 80, defaultActions: redirect });
    const rule = new elbv2.CfnListenerRule(stack, 'Rule', {
      listenerArn: http.ref,
      priority: 1,
      conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
      actions: [{ type: 'forward', targetGroupArn: 'arn:tg' }],
    });
    expect(findingsOf(stack, 'ELBHttpRedirectOnly')).toEqual(
      [finding('ELBHttpRedirectOnly', forward), finding('ELBHttpRedirectOnly', rule)].sort(),
    );
  });

  test('intrinsic: a redirect to a token protocol fails closed; a rule on an imported listener is not judged', () => {
    const stack = testStack();
    const tokenRedirect = listener(stack, 'Http', {
      protocol: 'HTTP',
      port: 80,
      defaultActions: [
        { type: 'redirect', redirectConfig: { protocol: Fn.importValue('Proto'), statusCode: 'HTTP_301' } },
      ],
    });
    new elbv2.CfnListenerRule(stack, 'Rule', {
      listenerArn: Fn.importValue('Listener'),
      priority: 1,
      conditions: [],
      actions: [{ type: 'forward', targetGroupArn: 'arn:tg' }],
    });
    expect(findingsOf(stack, 'ELBHttpRedirectOnly')).toEqual([finding('ELBHttpRedirectOnly', tokenRedirect)]);
  });
});

describe('S3DenyInsecureTransport', () => {
  test('compliant: a bucket policy by Ref and one by concrete name deny non-TLS', () => {
    const stack = testStack();
    const byRef = new s3.CfnBucket(stack, 'ByRef');
    new s3.CfnBucketPolicy(stack, 'ByRefPolicy', { bucket: byRef.ref, policyDocument: denyInsecure(byRef.attrArn) });
    new s3.CfnBucket(stack, 'ByName', { bucketName: 'named-bucket' });
    new s3.CfnBucketPolicy(stack, 'ByNamePolicy', {
      bucket: 'named-bucket',
      policyDocument: denyInsecure('arn:aws:s3:::named-bucket', '*', false),
    });
    expect(findingsOf(stack, 'S3DenyInsecureTransport')).toEqual([]);
  });

  test('non-compliant: no policy, or a policy that denies only some actions', () => {
    const stack = testStack();
    const bare = new s3.CfnBucket(stack, 'Bare');
    const partial = new s3.CfnBucket(stack, 'Partial');
    new s3.CfnBucketPolicy(stack, 'PartialPolicy', {
      bucket: partial.ref,
      policyDocument: denyInsecure(partial.attrArn, 's3:GetObject'),
    });
    expect(findingsOf(stack, 'S3DenyInsecureTransport')).toEqual(
      [finding('S3DenyInsecureTransport', bare), finding('S3DenyInsecureTransport', partial)].sort(),
    );
  });

  test('intrinsic: a policy on an imported bucket name does not count; a token condition fails closed', () => {
    const stack = testStack();
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    new s3.CfnBucketPolicy(stack, 'Imported', {
      bucket: Fn.importValue('BucketName'),
      policyDocument: denyInsecure('*'),
    });
    new s3.CfnBucketPolicy(stack, 'Token', {
      bucket: bucket.ref,
      policyDocument: denyInsecure(bucket.attrArn, 's3:*', new CfnParameter(stack, 'Flag').valueAsString),
    });
    expect(findingsOf(stack, 'S3DenyInsecureTransport')).toEqual([finding('S3DenyInsecureTransport', bucket)]);
  });
});

describe('SNSDenyInsecureTransport', () => {
  test('compliant: the topic policy denies publishing without TLS', () => {
    const stack = testStack();
    const topic = new sns.CfnTopic(stack, 'Topic');
    new sns.CfnTopicPolicy(stack, 'Policy', {
      topics: [topic.ref],
      policyDocument: denyInsecure(topic.ref, 'sns:Publish', 'false', '*'),
    });
    expect(findingsOf(stack, 'SNSDenyInsecureTransport')).toEqual([]);
  });

  test('non-compliant: no topic policy, or one that allows instead of denying', () => {
    const stack = testStack();
    const bare = new sns.CfnTopic(stack, 'Bare');
    const allowing = new sns.CfnTopic(stack, 'Allowing');
    new sns.CfnTopicPolicy(stack, 'Policy', {
      topics: [allowing.ref],
      policyDocument: denyInsecure(allowing.ref, 'sns:Publish', 'false', '*', 'Allow'),
    });
    expect(findingsOf(stack, 'SNSDenyInsecureTransport')).toEqual(
      [finding('SNSDenyInsecureTransport', bare), finding('SNSDenyInsecureTransport', allowing)].sort(),
    );
  });

  test('intrinsic: a policy for an imported topic does not cover a local one', () => {
    const stack = testStack();
    const topic = new sns.CfnTopic(stack, 'Topic');
    new sns.CfnTopicPolicy(stack, 'Policy', {
      topics: [Fn.importValue('Topic')],
      policyDocument: denyInsecure('*', 'sns:*'),
    });
    expect(findingsOf(stack, 'SNSDenyInsecureTransport')).toEqual([finding('SNSDenyInsecureTransport', topic)]);
  });
});

describe('RDSForceSsl', () => {
  function db(stack: Stack, props: Partial<rds.CfnDBInstanceProps> = {}, id = 'Db') {
    return new rds.CfnDBInstance(stack, id, { dbInstanceClass: 'db.m6i.large', engine: 'postgres', ...props });
  }

  test('compliant: postgres with a kit parameter group forcing SSL; other engines are not judged', () => {
    const stack = testStack();
    const group = new rds.CfnDBParameterGroup(stack, 'Params', {
      family: 'postgres18',
      description: 'p',
      parameters: { 'rds.force_ssl': '1' },
    });
    db(stack, { dbParameterGroupName: group.ref });
    db(stack, { engine: 'mysql' }, 'MySql');
    expect(findingsOf(stack, 'RDSForceSsl')).toEqual([]);
  });

  test('non-compliant: default parameter group, or force_ssl 0', () => {
    const stack = testStack();
    const group = new rds.CfnDBParameterGroup(stack, 'Params', {
      family: 'postgres18',
      description: 'p',
      parameters: { 'rds.force_ssl': 0 },
    });
    const off = db(stack, { dbParameterGroupName: group.ref });
    const unset = db(stack, {}, 'Unset');
    expect(findingsOf(stack, 'RDSForceSsl')).toEqual(
      [finding('RDSForceSsl', off), finding('RDSForceSsl', unset)].sort(),
    );
  });

  test('intrinsic: an imported parameter group or token engine fails closed', () => {
    const stack = testStack();
    const imported = db(stack, { dbParameterGroupName: Fn.importValue('Params') });
    const engine = db(stack, { engine: new CfnParameter(stack, 'EngineParam').valueAsString }, 'Engine');
    expect(findingsOf(stack, 'RDSForceSsl')).toEqual(
      [finding('RDSForceSsl', imported), finding('RDSForceSsl', engine)].sort(),
    );
  });
});
