import { ConfigError, KitConfig } from '../core/config';
import { validateConfig } from '../lib/config-validation';
import { resolveConfig } from '../lib/profiles';

/** Resolves the example profile with overrides and returns the problems, or [] when valid. */
function problemsWith(overrides: object): string[] {
  try {
    resolveConfig('example', overrides);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('config validation', () => {
  test('the example profile is valid', () => {
    expect(problemsWith({})).toEqual([]);
  });

  // Each case: the override, then the field and fix the single error line must name.
  const cases: [string, object, RegExp][] = [
    ['SSH from 0.0.0.0/0', { adminCidrs: ['0.0.0.0/0'] }, /^adminCidrs\[0\]: .*whole internet/],
    ['SSH from ::/0', { adminCidrs: ['::/0'] }, /^adminCidrs\[0\]: .*whole internet/],
    ['an invalid CIDR', { adminCidrs: ['10.0.0.300/32'] }, /^adminCidrs\[0\]: .*not a valid CIDR/],
    ['a CIDR without prefix', { adminCidrs: ['10.0.0.1'] }, /^adminCidrs\[0\]: .*not a valid CIDR/],
    [
      'no certificate or domain',
      { certificateArn: null },
      /^certificateArn: give an ACM certificateArn, or domainName/,
    ],
    [
      'a malformed certificate ARN',
      { certificateArn: 'arn:aws:acm:cert' },
      /^certificateArn: .*not an ACM certificate ARN/,
    ],
    [
      'a certificate in another region',
      { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000' },
      /^certificateArn: .*region us-east-1/,
    ],
    [
      'dedicated tenancy with t2',
      { bastion: { instanceType: 't2.micro' } },
      /^bastion\.instanceType: .*cannot run as a dedicated instance/,
    ],
    ['dedicated tenancy with t3a', { service: { instanceType: 't3a.large' } }, /^service\.instanceType: .*dedicated/],
    ['dedicated tenancy with t4g', { service: { instanceType: 't4g.large' } }, /^service\.instanceType: .*dedicated/],
    [
      'dedicated tenancy with db.t*',
      { database: { instanceClass: 'db.t3.medium' } },
      /^database\.instanceClass: .*burstable/,
    ],
    ['fewer than 2 AZs', { availabilityZones: ['us-east-1a'] }, /^availabilityZones: give at least 2/],
    [
      'an AZ outside the region',
      { availabilityZones: ['us-east-1a', 'eu-west-1b'] },
      /^availabilityZones\[1\]: .*not a zone of region/,
    ],
    ['audit retention under 6 years', { auditRetentionDays: 365 }, /^auditRetentionDays: .*under 6 years/],
    ['audit retention over 10 years', { auditRetentionDays: 4000 }, /^auditRetentionDays: .*exceeds 3653 days/],
    ['the bastion with no admin CIDRs', { adminCidrs: [] }, /^adminCidrs: the bastion is enabled but no admin CIDRs/],
    ['a malformed account', { account: '12345' }, /^account: "12345" is not a 12-digit AWS account id/],
    ['a malformed region', { region: 'US_EAST' }, /^region: "US_EAST" is not an AWS region name/],
    ['an unknown tenancy', { tenancy: 'shared' }, /^tenancy: "shared" must be "dedicated"/],
    ['an unknown directory mode', { directoryMode: 'open' }, /^directoryMode: /],
    ['the default Postgres port', { database: { port: 5432 } }, /^database\.port: .*non-default port/],
    [
      'a log retention CloudWatch refuses',
      { logRetentionDays: 100 },
      /^logRetentionDays: .*not a CloudWatch retention value/,
    ],
    ['a single task', { service: { desiredCount: 1 } }, /^service\.desiredCount: /],
    ['an untagged image URI', { service: { imageUri: 'nginx' } }, /^service\.imageUri: /],
    ['a malformed alarm email', { alarmEmail: 'ops' }, /^alarmEmail: /],
    [
      'a credential pasted as a secret name',
      { push: { fcmSecretName: '{"type": "service_account"}' } },
      /^push\.fcmSecretName: .*never paste the credential/,
    ],
    ['a malformed SSH public key', { bastion: { sshPublicKey: 'hunter2' } }, /^bastion\.sshPublicKey: /],
    [
      'an ECDSA key EC2 cannot import',
      { bastion: { sshPublicKey: 'ecdsa-sha2-nistp256 AAAAE2VjZHNh ops@example.org' } },
      /^bastion\.sshPublicKey: .*ssh-ed25519 or ssh-rsa/,
    ],
    [
      'more admin CIDRs than the NACL holds',
      { adminCidrs: Array.from({ length: 16 }, (_, i) => `198.51.100.${i}/32`) },
      /^adminCidrs: 16 CIDRs do not fit/,
    ],
    [
      'a non-boolean switch',
      { database: { createOsMetricsLogGroup: 'no' } },
      /^database\.createOsMetricsLogGroup: must be a boolean/,
    ],
    ['a misspelt field', { adminCidr: ['10.0.0.0/8'] }, /^adminCidr: is not a config field/],
    ['a wrong type', { natGateways: '2' }, /^natGateways: must be a number/],
    [
      'negative message retention',
      { messaging: { retentionDays: -1 } },
      /^messaging\.retentionDays: -1 .*0 \(keep forever\)/,
    ],
    ['fractional message retention', { messaging: { retentionDays: 30.5 } }, /^messaging\.retentionDays: /],
    [
      'message retention beyond the service ceiling',
      { messaging: { retentionDays: 36501 } },
      /^messaging\.retentionDays: .*to 36500/,
    ],
    [
      'a zero break-glass window',
      { messaging: { breakGlassMinutes: 0 } },
      /^messaging\.breakGlassMinutes: 0 .*1 to 1440/,
    ],
    [
      'a day-long-plus break-glass window',
      { messaging: { breakGlassMinutes: 1441 } },
      /^messaging\.breakGlassMinutes: /,
    ],
    [
      'a repeat push after a negative delay',
      { messaging: { repeatPush: { afterMinutes: -5, maxRepeats: 2 } } },
      /^messaging\.repeatPush\.afterMinutes: -5 .*0 to turn repeat pushes off/,
    ],
    [
      'too many repeat pushes',
      { messaging: { repeatPush: { afterMinutes: 10, maxRepeats: 11 } } },
      /^messaging\.repeatPush\.maxRepeats: 11 .*1 to 10/,
    ],
    [
      'a clinicians-only switch given as text',
      { messaging: { membersCliniciansOnly: 'yes' } },
      /^messaging\.membersCliniciansOnly: must be a boolean/,
    ],
    [
      'a key-table recovery window DynamoDB refuses',
      { messaging: { keyTableRecoveryDays: 36 } },
      /^messaging\.keyTableRecoveryDays: 36 must be 1 to 35 days.*how long a shredded key survives/,
    ],
    [
      'no key-table recovery window',
      { messaging: { keyTableRecoveryDays: 0 } },
      /^messaging\.keyTableRecoveryDays: 0 /,
    ],
    ['an unknown messaging field', { messaging: { retention: 30 } }, /^messaging\.retention: is not a config field/],
    [
      'an unknown nested field',
      { database: { instanceType: 'db.m6i.large' } },
      /^database\.instanceType: is not a config field/,
    ],
  ];

  test.each(cases)('refuses %s with one line naming the field', (_name, overrides, expected) => {
    const problems = problemsWith(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
    expect(problems[0]).not.toContain('\n');
  });

  test('default tenancy accepts burstable classes that dedicated refuses', () => {
    expect(problemsWith({ tenancy: 'default', database: { instanceClass: 'db.t3.medium' } })).toEqual([]);
  });

  test('the bastion may be disabled without admin CIDRs', () => {
    expect(problemsWith({ adminCidrs: [], bastion: { enabled: false } })).toEqual([]);
  });

  test('a domain with a hosted zone replaces the certificate ARN', () => {
    const domain = {
      certificateArn: null,
      domainName: 'msg.example.org',
      hostedZoneId: 'Z123',
      hostedZoneName: 'example.org',
    };
    expect(problemsWith(domain)).toEqual([]);
  });

  test('messaging settings accept their bounds', () => {
    expect(
      problemsWith({
        messaging: {
          retentionDays: 36500,
          membersCliniciansOnly: true,
          breakGlassMinutes: 1440,
          keyTableRecoveryDays: 35,
        },
      }),
    ).toEqual([]);
    expect(problemsWith({ messaging: { retentionDays: 0, breakGlassMinutes: 1, keyTableRecoveryDays: 1 } })).toEqual(
      [],
    );
  });

  test('validateConfig itself names a missing messaging block (a profile written by hand)', () => {
    const withoutMessaging = { ...resolveConfig('example'), messaging: undefined } as unknown as KitConfig;
    expect(() => validateConfig(withoutMessaging)).toThrow(
      /messaging\.retentionDays: .*\nmessaging\.membersCliniciansOnly: .*\nmessaging\.breakGlassMinutes: .*\nmessaging\.keyTableRecoveryDays: /,
    );
  });

  test('several problems are all reported', () => {
    expect(problemsWith({ account: 'x', region: 'y', adminCidrs: ['0.0.0.0/0'] }).length).toBeGreaterThanOrEqual(3);
  });

  test('an unknown profile names the known ones', () => {
    expect(() => resolveConfig('prod')).toThrow(/profile: "prod" is not defined; use one of example/);
  });

  test('overrides given as a JSON string are parsed, and bad JSON is named', () => {
    expect(resolveConfig('example', '{"tenancy":"default"}').tenancy).toBe('default');
    expect(() => resolveConfig('example', '{tenancy')).toThrow(/overrides: is not valid JSON/);
  });
});
