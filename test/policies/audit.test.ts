import { App, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
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
