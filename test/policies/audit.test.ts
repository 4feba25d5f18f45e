import { App, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { finding, findingsOf, testStack } from './support';

const PHI_TAG = [{ key: 'hipaa-kit:data-classification', value: 'phi' }];

function trail(stack: Stack, props: Partial<cloudtrail.CfnTrailProps> = {}, id = 'Trail') {
  return new cloudtrail.CfnTrail(stack, id, {
    isLogging: true,
    s3BucketName: 'audit-bucket',
    isMultiRegionTrail: true,
    enableLogFileValidation: true,
    kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
    cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:*',
    cloudWatchLogsRoleArn: 'arn:aws:iam::123456789012:role/r',
    ...props,
  });
}

const s3Events = (...values: unknown[]) => [
  { readWriteType: 'All', dataResources: [{ type: 'AWS::S3::Object', values: values as string[] }] },
];

describe('CloudTrailHardened', () => {
  test('compliant: multi-region, validated, KMS, CloudWatch Logs', () => {
    const stack = testStack();
    trail(stack);
    expect(findingsOf(stack, 'CloudTrailHardened')).toEqual([]);
  });

  test('non-compliant: every missing setting is its own finding', () => {
    const stack = testStack();
    const t = trail(stack, {
      isMultiRegionTrail: false,
      enableLogFileValidation: undefined,
      kmsKeyId: undefined,
      cloudWatchLogsLogGroupArn: undefined,
      cloudWatchLogsRoleArn: undefined,
    });
    expect(findingsOf(stack, 'CloudTrailHardened')).toEqual(
      ['IsMultiRegionTrail', 'EnableLogFileValidation', 'KMSKeyId', 'CloudWatchLogsLogGroupArn']
        .map((f) => finding('CloudTrailHardened', t, f))
        .sort(),
    );
  });

  test('intrinsic: imported key and log group are present; a token multi-region flag fails closed', () => {
    const stack = testStack();
    const t = trail(stack, {
      kmsKeyId: Fn.importValue('Key'),
      cloudWatchLogsLogGroupArn: Fn.importValue('Logs'),
      isMultiRegionTrail: new CfnParameter(stack, 'Multi').valueAsString as unknown as boolean,
    });
    expect(findingsOf(stack, 'CloudTrailHardened')).toEqual([finding('CloudTrailHardened', t, 'IsMultiRegionTrail')]);
  });
});

describe('S3PhiBucketDataEvents', () => {
  test('compliant: PHI bucket selected by name from a trail in another stack, and by Ref in the same stack', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'us-east-1' };
    const data = new Stack(app, 'Data', { env });
    new s3.CfnBucket(data, 'Phi', { bucketName: 'kit-phi', tags: PHI_TAG });
    const local = new s3.CfnBucket(data, 'LocalPhi', { tags: PHI_TAG });
    trail(data, { eventSelectors: s3Events(Fn.join('', [local.attrArn, '/'])) }, 'LocalTrail');
    trail(new Stack(app, 'Audit', { env }), { eventSelectors: s3Events('arn:aws:s3:::kit-phi/') });
    new s3.CfnBucket(data, 'NotPhi'); // not applicable
    expect(findingsOf(data, 'S3PhiBucketDataEvents')).toEqual([]);
  });

  test('compliant: advanced event selectors on the bucket ARN prefix', () => {
    const stack = testStack();
    new s3.CfnBucket(stack, 'Phi', { bucketName: 'kit-phi', tags: PHI_TAG });
    trail(stack, {
      advancedEventSelectors: [
        {
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
            { field: 'resources.ARN', startsWith: ['arn:aws:s3:::kit-phi/'] },
          ],
        },
      ],
    });
    expect(findingsOf(stack, 'S3PhiBucketDataEvents')).toEqual([]);
  });

  test('non-compliant: no trail, another bucket, write-only events, a stopped trail', () => {
    const stack = testStack();
    const phi = new s3.CfnBucket(stack, 'Phi', { bucketName: 'kit-phi', tags: PHI_TAG });
    trail(stack, { eventSelectors: s3Events('arn:aws:s3:::kit-phi-other/') }, 'Other');
    trail(
      stack,
      {
        eventSelectors: [
          {
            readWriteType: 'WriteOnly',
            dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3:::kit-phi/'] }],
          },
        ],
      },
      'WriteOnly',
    );
    trail(stack, { isLogging: false, eventSelectors: s3Events('arn:aws:s3:::kit-phi/') }, 'Stopped');
    expect(findingsOf(stack, 'S3PhiBucketDataEvents')).toEqual([finding('S3PhiBucketDataEvents', phi)]);
  });

  test('intrinsic: an unnamed PHI bucket cannot be matched by an imported selector (fails closed)', () => {
    const stack = testStack();
    const phi = new s3.CfnBucket(stack, 'Phi', { tags: PHI_TAG });
    trail(stack, { eventSelectors: s3Events(Fn.importValue('PhiArn')) });
    expect(findingsOf(stack, 'S3PhiBucketDataEvents')).toEqual([finding('S3PhiBucketDataEvents', phi)]);
  });
});

describe('LogGroupAuditRetention', () => {
  test('compliant: the trail log group (by GetAtt and by name) keeps 2192 days; other groups are not judged', () => {
    const stack = testStack();
    const byRef = new logs.CfnLogGroup(stack, 'ByRef', { retentionInDays: 2192 });
    trail(stack, { cloudWatchLogsLogGroupArn: byRef.attrArn }, 'RefTrail');
    new logs.CfnLogGroup(stack, 'ByName', { logGroupName: 'trail-logs', retentionInDays: 3653 });
    trail(stack);
    new logs.CfnLogGroup(stack, 'Tagged', { tags: [{ key: 'hipaa-kit:audit-data', value: 'pgaudit' }] }); // never expires
    new logs.CfnLogGroup(stack, 'Ops', { retentionInDays: 30 });
    expect(findingsOf(stack, 'LogGroupAuditRetention')).toEqual([]);
  });

  test('non-compliant: trail log group or tagged audit group kept less than 6 years', () => {
    const stack = testStack();
    const byName = new logs.CfnLogGroup(stack, 'ByName', { logGroupName: 'trail-logs', retentionInDays: 731 });
    trail(stack);
    const tagged = new logs.CfnLogGroup(stack, 'Tagged', {
      retentionInDays: 2190,
      tags: [{ key: 'hipaa-kit:audit-data', value: 'pgaudit' }],
    });
    expect(findingsOf(stack, 'LogGroupAuditRetention')).toEqual(
      [finding('LogGroupAuditRetention', byName), finding('LogGroupAuditRetention', tagged)].sort(),
    );
  });

  test('intrinsic: a token retention on an audit group fails closed', () => {
    const stack = testStack();
    const group = new logs.CfnLogGroup(stack, 'Group', {
      retentionInDays: new CfnParameter(stack, 'Days', { type: 'Number' }).valueAsNumber,
    });
    trail(stack, { cloudWatchLogsLogGroupArn: group.attrArn });
    expect(findingsOf(stack, 'LogGroupAuditRetention')).toEqual([finding('LogGroupAuditRetention', group)]);
  });
});

describe('S3AuditBucketObjectLock', () => {
  const locked = (days = 2190): Partial<s3.CfnBucketProps> => ({
    objectLockEnabled: true,
    objectLockConfiguration: { objectLockEnabled: 'Enabled', rule: { defaultRetention: { mode: 'GOVERNANCE', days } } },
  });

  test('compliant: the trail bucket has Object Lock for 6 years; other buckets are not judged', () => {
    const stack = testStack();
    const audit = new s3.CfnBucket(stack, 'Audit', locked());
    trail(stack, { s3BucketName: audit.ref });
    new s3.CfnBucket(stack, 'Other');
    expect(findingsOf(stack, 'S3AuditBucketObjectLock')).toEqual([]);
  });

  test('non-compliant: no Object Lock; lock with a 1-year default retention', () => {
    const stack = testStack();
    const none = new s3.CfnBucket(stack, 'None', { bucketName: 'audit-bucket' });
    trail(stack);
    const short = new s3.CfnBucket(stack, 'Short', locked(365));
    trail(stack, { s3BucketName: short.ref }, 'Trail2');
    expect(findingsOf(stack, 'S3AuditBucketObjectLock')).toEqual(
      [
        finding('S3AuditBucketObjectLock', none, 'ObjectLockEnabled'),
        finding('S3AuditBucketObjectLock', none, 'DefaultRetention'),
        finding('S3AuditBucketObjectLock', short, 'DefaultRetention'),
      ].sort(),
    );
  });

  test('intrinsic: an imported trail bucket matches nothing local; a token retention fails closed', () => {
    const stack = testStack();
    new s3.CfnBucket(stack, 'Unrelated');
    trail(stack, { s3BucketName: Fn.importValue('Bucket') });
    const token = new s3.CfnBucket(stack, 'Token', {
      objectLockEnabled: true,
      objectLockConfiguration: {
        objectLockEnabled: 'Enabled',
        rule: { defaultRetention: { days: new CfnParameter(stack, 'Days', { type: 'Number' }).valueAsNumber } },
      },
    });
    trail(stack, { s3BucketName: token.ref }, 'Trail2');
    expect(findingsOf(stack, 'S3AuditBucketObjectLock')).toEqual([
      finding('S3AuditBucketObjectLock', token, 'DefaultRetention'),
    ]);
  });
});

describe('S3BucketDataEvents', () => {
  test('compliant: a trail in another stack selects every bucket (arn:aws:s3), named or not', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'us-east-1' };
    const data = new Stack(app, 'Data', { env });
    new s3.CfnBucket(data, 'Named', { bucketName: 'kit-logs' });
    new s3.CfnBucket(data, 'Unnamed');
    trail(new Stack(app, 'Audit', { env }), { eventSelectors: s3Events('arn:aws:s3') });
    expect(findingsOf(data, 'S3BucketDataEvents')).toEqual([]);
  });

  test('non-compliant: a trail that selects only the PHI bucket leaves the other buckets unlogged', () => {
    const stack = testStack();
    new s3.CfnBucket(stack, 'Phi', { bucketName: 'kit-phi', tags: PHI_TAG });
    const audit = new s3.CfnBucket(stack, 'Audit');
    const logsBucket = new s3.CfnBucket(stack, 'Logs', { bucketName: 'kit-access-logs' });
    trail(stack, { eventSelectors: s3Events('arn:aws:s3:::kit-phi/') });
    expect(findingsOf(stack, 'S3BucketDataEvents')).toEqual(
      [finding('S3BucketDataEvents', audit), finding('S3BucketDataEvents', logsBucket)].sort(),
    );
  });
});

describe('AlarmTopicAcceptsCloudWatch', () => {
  const tlsOnly = {
    Effect: 'Deny',
    Principal: '*',
    Action: 'sns:Publish',
    Resource: '*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
  const cloudWatchMayPublish = {
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: '*',
    Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
  };
  const topicWithPolicy = (stack: Stack, id: string, ...statements: object[]) => {
    const topic = new sns.CfnTopic(stack, id);
    if (statements.length > 0) {
      new sns.CfnTopicPolicy(stack, `${id}Policy`, {
        topics: [topic.ref],
        policyDocument: { Version: '2012-10-17', Statement: statements },
      });
    }
    return topic;
  };
  const alarm = (stack: Stack, id: string, actions: unknown[]) =>
    new cloudwatch.CfnAlarm(stack, id, {
      comparisonOperator: 'GreaterThanThreshold',
      evaluationPeriods: 1,
      threshold: 1,
      metricName: 'm',
      namespace: 'n',
      period: 300,
      statistic: 'Sum',
      alarmActions: actions as string[],
    });

  test('compliant: the topic policy allows CloudWatch; a topic with SNS default policy; a topic in another stack', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'us-east-1' };
    const audit = new Stack(app, 'Audit', { env });
    const ops = topicWithPolicy(audit, 'Ops', tlsOnly, cloudWatchMayPublish);
    const plain = topicWithPolicy(audit, 'Plain');
    alarm(audit, 'Root', [ops.ref, plain.ref]);
    const data = new Stack(app, 'Data', { env });
    data.addDependency(audit);
    alarm(data, 'Storage', [Fn.importValue('OpsTopicArn')]); // an import no output names: not judged
    expect(findingsOf(audit, 'AlarmTopicAcceptsCloudWatch')).toEqual([]);
  });

  test('non-compliant: the topic policy is a TLS-deny only, so the alarm fires into nothing', () => {
    const stack = testStack();
    const ops = topicWithPolicy(stack, 'Ops', tlsOnly);
    const a = alarm(stack, 'Root', [ops.ref]);
    expect(findingsOf(stack, 'AlarmTopicAcceptsCloudWatch')).toEqual([
      finding('AlarmTopicAcceptsCloudWatch', a, `Topic::${Stack.of(ops).resolve(ops.logicalId)}`),
    ]);
  });
});
