import { Match, Template } from 'aws-cdk-lib/assertions';
import { CIS_CONTROLS } from '../constructs/cis-alarms';
import { cloudWatchRetentionAtLeast } from '../core/limits';
import { templateOf } from './support/kit';

const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/hipaa-kit-example-trail';

/** The single resource of a type, failing when there is not exactly one. */
function only(template: Template, type: string, props: object = {}) {
  const found = template.findResources(type, props);
  expect(Object.keys(found)).toHaveLength(1);
  return Object.values(found)[0];
}

/** True when a rendered value refers to the given Keys-stack key (via its cross-stack output). */
const refersTo = (value: unknown, keyId: 'DataKey' | 'LogsKey' | 'AuditKey') =>
  JSON.stringify(value).includes(`Keys${keyId}`);

describe('Audit stack', () => {
  const template = templateOf('audit');

  describe('AuditTrail', () => {
    const trail = only(template, 'AWS::CloudTrail::Trail');

    test('multi-region, global service events, logging, log-file validation', () => {
      expect(trail.Properties).toMatchObject({
        TrailName: 'hipaa-kit-example-trail',
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        IsLogging: true,
        EnableLogFileValidation: true,
      });
    });

    test('log files are encrypted with the audit key', () => {
      expect(refersTo(trail.Properties.KMSKeyId, 'AuditKey')).toBe(true);
    });

    test('records every management event and the S3 data events (reads and writes) of every bucket', () => {
      expect(trail.Properties.EventSelectors).toEqual([
        {
          IncludeManagementEvents: true,
          ReadWriteType: 'All',
          DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }],
        },
      ]);
    });

    test('delivers to a CMK log group kept at least the audit retention', () => {
      const [groupId] = trail.Properties.CloudWatchLogsLogGroupArn['Fn::GetAtt'];
      const group = template.toJSON().Resources[groupId];
      expect(refersTo(group.Properties.KmsKeyId, 'LogsKey')).toBe(true);
      expect(group.Properties.RetentionInDays).toBe(2192);
      expect(group.DeletionPolicy).toBe('Retain');
    });

    test('waits for the bucket policy that admits it', () => {
      expect(trail.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AuditBucketPolicy/)]));
    });

    test('its log role is assumable by CloudTrail of this account only and writes to its log group only', () => {
      const [roleId] = trail.Properties.CloudWatchLogsRoleArn['Fn::GetAtt'];
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]);
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: [
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [trail.Properties.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0], 'Arn'] },
            },
          ],
        },
      });
    });
  });

  describe('AuditBucket', () => {
    const bucket = only(template, 'AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } });

    test('Object Lock in governance mode for the audit retention', () => {
      expect(bucket.Properties.ObjectLockConfiguration).toEqual({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2190 } },
      });
    });

    test('versioned, SSE-KMS with the audit key, public access blocked, retained', () => {
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      const sse = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
      expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(refersTo(sse.ServerSideEncryptionByDefault.KMSMasterKeyID, 'AuditKey')).toBe(true);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
    });

    test('writes its server access logs to the separate access-log bucket', () => {
      expect(bucket.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogsBucket/) },
        LogFilePrefix: 'audit-bucket/',
      });
    });

    test('admits CloudTrail only for the kit trail, only under AWSLogs/<account>/', () => {
      const policy = only(template, 'AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: Match.stringLikeRegexp('^AuditBucket') } },
      });
      const statements = policy.Properties.PolicyDocument.Statement;
      const cloudTrail = statements.filter(
        (s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'cloudtrail.amazonaws.com',
      );
      expect(cloudTrail).toHaveLength(2);
      for (const s of cloudTrail) expect(s.Condition.StringEquals['aws:SourceArn']).toBe(TRAIL_ARN);
      const write = cloudTrail.find((s: { Action: string }) => s.Action === 's3:PutObject');
      expect(write.Condition.StringEquals['s3:x-amz-acl']).toBe('bucket-owner-full-control');
      expect(JSON.stringify(write.Resource)).toContain('/AWSLogs/123456789012/*');
    });
  });

  describe('AccessLogsBucket', () => {
    const logicalId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) =>
      id.startsWith('AccessLogsBucket'),
    )!;
    const bucket = template.toJSON().Resources[logicalId];

    test('SSE-S3 (the only encryption S3 and ALB log delivery accept), ACLs disabled, versioned, retained', () => {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
      });
      expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.DeletionPolicy).toBe('Retain');
    });

    test('keeps access logs for the audit retention', () => {
      expect(bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(2190);
    });

    test('refuses S3 log delivery on behalf of other accounts', () => {
      const policy = only(template, 'AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: logicalId } } });
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Sid: 'DenyLogDeliveryFromOtherAccounts',
          Effect: 'Deny',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Condition: { StringNotEquals: { 'aws:SourceAccount': '123456789012' } },
        }),
      );
    });
  });

  test('every bucket denies non-TLS requests and TLS below 1.2', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  describe('OpsTopic', () => {
    test('encrypted with the data key and TLS-only', () => {
      const topic = only(template, 'AWS::SNS::Topic');
      expect(refersTo(topic.Properties.KmsMasterKeyId, 'DataKey')).toBe(true);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    test("lets this account's CloudWatch alarms publish (a topic policy replaces SNS's default one)", () => {
      const policy = only(template, 'AWS::SNS::TopicPolicy');
      const allow = policy.Properties.PolicyDocument.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow');
      expect(allow).toEqual([
        {
          Sid: 'AllowThisAccountsCloudWatchAlarms',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: expect.stringMatching(/^OpsTopic/) },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' },
          },
        },
      ]);
    });

    test('subscribes the alarm email from the config', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'security-ops@example.org',
      });
    });

    test('no subscription when no alarm email is configured', () => {
      templateOf('audit', { alarmEmail: null }).resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('CisAlarms', () => {
    test('one metric filter on the trail log group and one alarm per CIS control', () => {
      expect(CIS_CONTROLS.map((c) => c.id)).toEqual([
        'UnauthorizedApiCalls',
        'ConsoleSignInWithoutMfa',
        'RootAccountUse',
        'IamPolicyChanges',
        'CloudTrailChanges',
        'KmsKeyDisabledOrScheduledForDeletion',
        'SecurityGroupChanges',
        'NetworkAclChanges',
        'ConsoleAuthenticationFailures',
        'S3BucketPolicyChanges',
        'ConfigChanges',
        'NetworkGatewayChanges',
        'RouteTableChanges',
        'VpcChanges',
      ]);
      template.resourceCountIs('AWS::Logs::MetricFilter', CIS_CONTROLS.length);
      template.resourceCountIs('AWS::CloudWatch::Alarm', CIS_CONTROLS.length);
      for (const filter of Object.values(template.findResources('AWS::Logs::MetricFilter'))) {
        expect(filter.Properties.LogGroupName).toEqual({ Ref: expect.stringMatching(/^AuditTrailLogGroup/) });
        expect(filter.Properties.MetricTransformations[0].MetricValue).toBe('1');
      }
    });

    test.each(CIS_CONTROLS.map((c) => [c.id, c.pattern]))('%s uses its CIS filter pattern', (id, pattern) => {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: pattern,
        MetricTransformations: [Match.objectLike({ MetricName: id, MetricNamespace: 'HipaaKit/Example/CIS' })],
      });
    });

    test('the patterns catch what CIS asks for', () => {
      const pattern = (id: string) => CIS_CONTROLS.find((c) => c.id === id)!.pattern;
      expect(pattern('RootAccountUse')).toContain('$.userIdentity.type = "Root"');
      expect(pattern('ConsoleSignInWithoutMfa')).toContain('$.additionalEventData.MFAUsed != "Yes"');
      expect(pattern('KmsKeyDisabledOrScheduledForDeletion')).toMatch(/DisableKey.*ScheduleKeyDeletion/);
      expect(pattern('CloudTrailChanges')).toMatch(/StopLogging/);
      for (const c of CIS_CONTROLS) expect(c.pattern.length).toBeLessThanOrEqual(1024); // CloudWatch Logs limit
    });

    test('every alarm fires on a single event and notifies the ops topic', () => {
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          Statistic: 'Sum',
          Period: 300,
          AlarmActions: [{ Ref: expect.stringMatching(/^OpsTopic/) }],
        });
      }
    });
  });

  test('no inline IAM policies (the HIPAA and NIST packs refuse them)', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('every log group is CMK-encrypted with explicit retention and retained', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBeGreaterThanOrEqual(2190);
      expect(group.DeletionPolicy).toBe('Retain');
    }
  });

  test('a longer audit retention raises Object Lock and the log group retention together', () => {
    const longer = templateOf('audit', { auditRetentionDays: 2600 });
    longer.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2600 } } },
    });
    longer.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 2922 });
  });
});

describe('cloudWatchRetentionAtLeast', () => {
  test.each([
    [2190, 2192],
    [2192, 2192],
    [2193, 2557],
    [365, 365],
  ])('%i days -> %i', (days, expected) => {
    expect(cloudWatchRetentionAtLeast(days)).toBe(expected);
  });

  test('refuses a retention CloudWatch cannot hold instead of keeping logs shorter', () => {
    expect(() => cloudWatchRetentionAtLeast(4000)).toThrow(/exceeds CloudWatch Logs' longest fixed retention/);
  });
});
