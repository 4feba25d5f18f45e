import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acknowledge } from '../core/acknowledge';
import { EvidenceRecorder } from '../policies/evidence/recorder';
import { RecordingAwsSolutionsChecks } from '../policies/evidence/recording-packs';
import { writeEvidence } from '../policies/evidence/write-evidence';
import { judgeGate } from '../policies/report/gate';
import { renderJunit } from '../policies/report/render-junit';
import { renderSarif } from '../policies/report/render-sarif';
import { readValidationReport, ValidationReport } from '../policies/report/validation-report';
import { loadReport } from '../policies/report/write-report';

const projectRoot = resolve(__dirname, '..');

/** A deliberately failing app: one bucket, S1 acknowledged with an owner, every other AwsSolutions finding open. */
function failingApp(dir: string) {
  const app = new App({
    outdir: join(dir, 'cdk.out'),
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
    builtinCloudFormationValidation: false,
  });
  const recorder = new EvidenceRecorder();
  Validations.of(app).addPlugins(new RecordingAwsSolutionsChecks(recorder, app));
  const stack = new Stack(app, 'Failing', { env: { account: '123456789012', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Open', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  acknowledge(bucket, 'AwsSolutions::AwsSolutions-S1', 'Fixture: access logging would loop into itself here.', {
    owner: 'Fixture owner',
    reviewBy: '2030-01-31',
  });
  const assembly = app.synth();
  const evidenceFile = join(dir, '.evidence.json');
  writeEvidence(recorder, assembly.directory, projectRoot, evidenceFile);
  const report = loadReport({ evidenceFile, assemblyDir: assembly.directory, outDir: dir, generatedAt: new Date(0) });
  return { report, validation: readValidationReport(assembly.directory)! };
}

describe('CI outputs of a deliberately failing app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-ci-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { report, validation } = failingApp(dir);
  const sarif = JSON.parse(renderSarif(validation, report, projectRoot, '0.1.0'));
  const results = sarif.runs.flatMap((r: { results: unknown[] }) => r.results) as {
    ruleId: string;
    level: string;
    locations: {
      physicalLocation?: { artifactLocation: { uri: string } };
      logicalLocations: { fullyQualifiedName: string }[];
    }[];
    suppressions?: { status: string; justification: string; properties: { owner: string; reviewBy: string } }[];
  }[];

  test('the SARIF validates against the published SARIF 2.1.0 schema', () => {
    // The schema's language pattern is not valid under the `u` flag, so ajv compiles patterns without it.
    const schema = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'sarif-2.1.0-rtm.5.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv); // the schema checks uri and date-time formats
    const validate = ajv.compile(schema);
    const valid = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The validator is live: a result without its message is refused.
    const broken = structuredClone(sarif);
    delete broken.runs[0].results[0].message;
    expect(validate(broken)).toBe(false);
  });

  test('open findings are errors at the construct and the line that made it; the acknowledged one is suppressed with its owner', () => {
    const open = results.filter((r) => !r.suppressions);
    const expectedOpen = report.findings.filter((f) => f.status === 'non-compliant').map((f) => f.rule);
    expect(open.map((r) => r.ruleId).sort()).toEqual([...new Set(expectedOpen)].sort());
    expect(open.length).toBeGreaterThan(0);
    for (const r of open) {
      expect(r.locations[0].logicalLocations[0].fullyQualifiedName).toBe('Failing/Open/Resource');
      expect(r.locations[0].physicalLocation?.artifactLocation.uri).toBe('test/ci-outputs.test.ts');
    }
    const s1 = results.filter((r) => r.ruleId === 'AwsSolutions-S1');
    expect(s1).toHaveLength(1);
    expect(s1[0].suppressions).toEqual([
      expect.objectContaining({
        kind: 'inSource',
        status: 'accepted',
        justification: 'Fixture: access logging would loop into itself here.',
        properties: expect.objectContaining({ owner: 'Fixture owner', reviewBy: '2030-01-31' }),
      }),
    ]);
  });

  test('the JUnit XML has a case per rule x resource outcome and a failure per open finding', () => {
    const xml = renderJunit(report, validation);
    const open = report.findings.filter((f) => f.status === 'non-compliant').length;
    expect(xml.match(/<testcase /g)).toHaveLength(report.findings.length);
    expect(xml.match(/<failure /g)).toHaveLength(open);
    expect(xml).toContain(`failures="${open}"`);
    expect(xml).toMatch(
      /<system-out>acknowledged \(AwsSolutions::AwsSolutions-S1\).*owner Fixture owner, review by 2030-01-31/,
    );
  });

  test('the gate lists all four packs, fails on the open findings, and puts the verdict last', () => {
    const result = judgeGate(validation, report, { today: '2026-01-01', verbose: false });
    expect(result.pass).toBe(false);
    expect(
      result.lines.filter((l) => /^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|Pillars) /.test(l)),
    ).toHaveLength(4);
    expect(result.lines.find((l) => l.startsWith('Pillars'))).toMatch(/0 open, 0 acknowledged, no evidence recorded/);
    expect(result.lines.at(-1)).toMatch(/^compliance gate: FAIL \(\d+ open finding\(s\)\)$/);
    expect(result.lines.some((l) => l.startsWith('  ACK '))).toBe(false);
    expect(
      judgeGate(validation, report, { today: '2026-01-01', verbose: true }).lines.some((l) =>
        l.startsWith('  ACK X001'),
      ),
    ).toBe(true);
  });

  test('an expired review date fails the gate from the day after it', () => {
    // Only the acknowledged finding is left: no open findings.
    const acknowledgedOnly: ValidationReport = {
      pluginReports: validation.pluginReports.map((p) => ({ ...p, violations: [] })),
    };
    const onTheDay = judgeGate(acknowledgedOnly, report, { today: '2030-01-31', verbose: false });
    expect(onTheDay.pass).toBe(true);
    const dayAfter = judgeGate(acknowledgedOnly, report, { today: '2030-02-01', verbose: false });
    expect(dayAfter.pass).toBe(false);
    expect(dayAfter.lines).toContain(
      '  EXPIRED AwsSolutions::AwsSolutions-S1 on Failing/Open: review by 2030-01-31 has passed (owner Fixture owner)',
    );
    expect(dayAfter.lines.at(-1)).toBe('compliance gate: FAIL (1 acknowledgement(s) past their review-by date)');
  });
});
