import { Match } from 'aws-cdk-lib/assertions';
import { templateOf } from './support/kit';

describe('KitKeys', () => {
  const template = templateOf('keys');

  test('three rotating customer-managed keys, retained on delete', () => {
    template.resourceCountIs('AWS::KMS::Key', 3);
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.RotationPeriodInDays).toBe(365);
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('the logs key admits only CloudWatch Logs of this account and region', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'HIPAA kit: CloudWatch Logs',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*' },
            },
          }),
        ]),
      },
    });
  });

  test('the audit key admits CloudTrail only for the kit trail', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'HIPAA kit: CloudTrail audit trail',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudTrailEncryptLogs',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Condition: Match.objectLike({
              StringEquals: {
                'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:123456789012:trail/hipaa-kit-example-trail',
              },
            }),
          }),
        ]),
      },
    });
  });

  test('no key policy statement grants a service principal kms:*', () => {
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
      for (const statement of key.Properties.KeyPolicy.Statement) {
        if (statement.Principal?.Service) expect(statement.Action).not.toContain('kms:*');
      }
    }
  });
});
