import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kms from 'aws-cdk-lib/aws-kms';
import { NagMessageLevel } from 'cdk-nag';
import { HIPAA_SECTIONS, PILLARS } from '../../policies/controls';
import { PILLARS_RULES, PillarsChecks } from '../../policies/pillars-checks';
import { renderRulesMarkdown } from '../../policies/rules-doc';
import { testStack } from './support';

describe('PillarsChecks', () => {
  test('pins the exact list of rule IDs (adding or dropping a rule is a reviewed change)', () => {
    expect([...new PillarsChecks().ruleIds].sort()).toEqual([
      'Pillars-AlarmTopicAcceptsCloudWatch',
      'Pillars-BackupVaultCustomerManagedKey',
      'Pillars-CloudTrailHardened',
      'Pillars-CognitoMfaRequiredTotpOnly',
      'Pillars-CognitoNoUnauthenticatedIdentities',
      'Pillars-CognitoShortTokenValidity',
      'Pillars-DedicatedVpcCompatibleServices',
      'Pillars-DynamoDBCustomerManagedKey',
      'Pillars-EBSCustomerManagedKey',
      'Pillars-EC2BastionIdleLogoff',
      'Pillars-EC2BastionNamedLogins',
      'Pillars-EC2BastionSessionRecording',
      'Pillars-EC2BastionSshdHardened',
      'Pillars-EC2KeyPairAndImdsv2',
      'Pillars-EC2SupportedAmi',
      'Pillars-ELBHttpRedirectOnly',
      'Pillars-ELBTlsPolicy',
      'Pillars-FixedNameRetainExceptOnCreate',
      'Pillars-IAMNoAdminManagedPolicies',
      'Pillars-IAMNoInlinePolicies',
      'Pillars-IAMNoWildcardActions',
      'Pillars-KMSKeyRotation',
      'Pillars-LambdaSupportedRuntime',
      'Pillars-LogGroupAuditRetention',
      'Pillars-LogGroupCustomerManagedKey',
      'Pillars-NetworkAclIngressAllowList',
      'Pillars-RDSCustomerManagedKey',
      'Pillars-RDSForceSsl',
      'Pillars-RDSInBackupSelection',
      'Pillars-RDSSupportedEngineVersion',
      'Pillars-S3AuditBucketObjectLock',
      'Pillars-S3BucketDataEvents',
      'Pillars-S3CustomerManagedKey',
      'Pillars-S3DenyInsecureTransport',
      'Pillars-S3PhiBucketDataEvents',
      'Pillars-S3PhiBucketInBackupSelection',
      'Pillars-SNSCustomerManagedKey',
      'Pillars-SNSDenyInsecureTransport',
      'Pillars-SSMSessionLogging',
      'Pillars-SecretCustomerManagedKey',
      'Pillars-SecurityGroupIngressAllowList',
      'Pillars-VPCDedicatedTenancy',
    ]);
  });

  test('is named Pillars, and every rule is an ERROR whose function name is its ID', () => {
    const pack = new PillarsChecks();
    expect(pack.name).toBe('Pillars');
    expect(pack.readPackName).toBe('Pillars');
    for (const rule of PILLARS_RULES) {
      expect(rule.name).toBe(rule.meta.id);
      expect(rule.meta.level).toBe(NagMessageLevel.ERROR);
    }
  });

  test('every rule names known pillars and HIPAA sections, and at least one section', () => {
    const pillarIds = PILLARS.map((p) => p.id as string);
    const sectionIds = HIPAA_SECTIONS.map((s) => s.id as string);
    for (const { meta } of PILLARS_RULES) {
      expect(meta.hipaa.length).toBeGreaterThan(0);
      for (const p of meta.pillars) expect(pillarIds).toContain(p);
      for (const s of meta.hipaa) expect(sectionIds).toContain(s);
    }
  });

  test('every IaC pillar has a rule, except the optional Macie pillar P16', () => {
    const covered = new Set(PILLARS_RULES.flatMap((r) => r.meta.pillars as readonly string[]));
    const uncovered = PILLARS.filter((p) => p.layer === 'IaC' || p.layer === 'IaC+APP')
      .map((p) => p.id)
      .filter((id) => !covered.has(id));
    expect(uncovered).toEqual(['P16']);
  });

  test('the catalogue lists P01-P18 and the 15 HIPAA sections of pillars.md', () => {
    expect(PILLARS.map((p) => p.id)).toEqual(
      Array.from({ length: 18 }, (_, i) => `P${String(i + 1).padStart(2, '0')}`),
    );
    expect(HIPAA_SECTIONS).toHaveLength(15);
  });

  test('docs/pillars.md, the catalogue the code cites, has the same pillars at the same layers', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'pillars.md'), 'utf8');
    // Table rows read `| P01 | <pillar> | IaC + APP | ...`; "(optional)" qualifies the layer, it is not one.
    const rows = [...doc.matchAll(/^\| (P\d{2}) \| [^|]+ \| ([^|]+) \|/gm)].map(([, id, layer]) => ({
      id,
      layer: layer.replace(' (optional)', '').replace(/ \+ /g, '+').trim(),
    }));
    expect(rows).toEqual(PILLARS.map((p) => ({ id: p.id, layer: p.layer })));
  });

  test('findings carry the pillars and HIPAA sections in their text', () => {
    const stack = testStack();
    new kms.CfnKey(stack, 'Key', {});
    const report = new PillarsChecks().validateScope(stack);
    expect(report.violations).toEqual([
      expect.objectContaining({
        ruleName: 'Pillars-KMSKeyRotation',
        severity: 'error',
        description: expect.stringContaining('(Pillars: P05; HIPAA: 164.312(a)(2)(iv)).'),
      }),
    ]);
  });

  test('policies/RULES.md matches the rules (regenerate with: npx tsx scripts/rules-md.ts)', () => {
    const onDisk = readFileSync(join(__dirname, '..', '..', 'policies', 'RULES.md'), 'utf8');
    expect(onDisk).toBe(renderRulesMarkdown());
  });
});
