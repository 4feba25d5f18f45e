import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acknowledge } from '../core/acknowledge';
import { PILLARS } from '../policies/controls';
import { EvidenceRecorder } from '../policies/evidence/recorder';
import { RecordingAwsSolutionsChecks } from '../policies/evidence/recording-packs';
import { writeEvidence } from '../policies/evidence/write-evidence';
import { PROCESS_CONTROLS } from '../policies/report/process-controls';
import { csvField } from '../policies/report/render-csv';
import { REPORT_SCHEMA_VERSION } from '../policies/report/model';
import { loadReport, StaleEvidenceError, writeReport } from '../policies/report/write-report';

const projectRoot = resolve(__dirname, '..');

/** A one-bucket app whose AwsSolutions findings are all acknowledged, one of them with owner and review-by. */
function fixture(dir: string) {
  const app = new App({ outdir: join(dir, 'cdk.out') });
  const stack = new Stack(app, 'Fixture', { env: { account: '123456789012', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Logs', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  acknowledge(
    bucket,
    'AwsSolutions::AwsSolutions-S1',
    'Access-log bucket: logging it would loop; CloudTrail covers it.',
    {
      owner: 'Platform security',
      reviewBy: '2030-06-30',
    },
  );
  acknowledge(
    bucket,
    'AwsSolutions::AwsSolutions-S10',
    'Fixture: TLS policy is tested elsewhere, "quoted", with, commas.',
  );
  const assembly = app.synth();
  const recorder = new EvidenceRecorder();
  new RecordingAwsSolutionsChecks(recorder).validateScope(app);
  const evidenceFile = join(dir, '.evidence.json');
  writeEvidence(recorder, assembly.directory, projectRoot, evidenceFile);
  return { evidenceFile, assemblyDir: assembly.directory, bucket };
}

describe('report from a one-bucket fixture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { evidenceFile, assemblyDir, bucket } = fixture(dir);
  const outDir = join(dir, 'reports');
  const { report } = writeReport({ evidenceFile, assemblyDir, outDir, generatedAt: new Date('2026-01-02T03:04:05Z') });
  const read = (name: string) => readFileSync(join(outDir, name), 'utf8');

  test('the exception register carries reason, location, owner and review-by', () => {
    const s1 = report.exceptions.find((x) => x.rule === 'AwsSolutions-S1');
    expect(s1).toMatchObject({
      resource: (bucket.node.defaultChild as s3.CfnBucket).node.path,
      acknowledgedAt: bucket.node.path,
      reason: 'Access-log bucket: logging it would loop; CloudTrail covers it.',
      owner: 'Platform security',
      reviewBy: '2030-06-30',
    });
    expect(report.exceptions.find((x) => x.rule === 'AwsSolutions-S10')).toMatchObject({ owner: null, reviewBy: null });
    for (const file of ['compliance.html', 'compliance.md']) {
      expect(read(file)).toContain('Platform security');
      expect(read(file)).toContain('2030-06-30');
    }
  });

  test('findings.csv has one quoted, escaped row per outcome', () => {
    const lines = read('findings.csv').trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'pack,rule,finding,status,stack,resource,logical_id,resource_type,acknowledged_id,acknowledged_at,reason,owner,review_by,error',
    );
    expect(lines).toHaveLength(report.findings.length + 1);
    expect(lines.find((l) => l.includes('AwsSolutions-S10'))).toContain(
      '"Fixture: TLS policy is tested elsewhere, ""quoted"", with, commas."',
    );
    expect(csvField('=cmd()')).toBe("'=cmd()");
  });

  test('the control matrix has one row per HIPAA section, then P01 to P18', () => {
    expect(report.controls.filter((c) => c.kind === 'hipaa')).toHaveLength(15);
    expect(report.controls.filter((c) => c.kind === 'pillar').map((c) => c.id)).toEqual(
      Array.from({ length: 18 }, (_, i) => `P${String(i + 1).padStart(2, '0')}`),
    );
    // AwsSolutions names no HIPAA control: a fixture checked only by it evidences no row.
    expect(report.controls.every((c) => c.rules.length === 0)).toBe(true);
    expect(report.controls.find((c) => c.id === 'P17')?.status).toBe('process');
  });

  test('every PROCESS pillar has an owner and the evidence it needs', () => {
    const processPillars = PILLARS.filter((p) => p.layer === 'PROCESS').map((p) => p.id);
    expect(Object.keys(PROCESS_CONTROLS).sort()).toEqual(processPillars.sort());
    expect(report.processControls.map((p) => [p.pillar, p.evidenceAttached])).toEqual([['P17', null]]);
  });

  test('the inventory describes the bucket from its template', () => {
    const [stack] = report.inventory;
    expect(stack.items).toEqual([
      expect.objectContaining({
        type: 'AWS::S3::Bucket',
        encryption: 'SSE-S3 (S3-managed key)',
        logging: 'no access logs',
        publicExposure: 'public access blocked',
        deletionPolicy: 'Retain',
      }),
    ]);
  });

  test('two synths of the same app record byte-identical evidence', () => {
    const again = mkdtempSync(join(tmpdir(), 'kit-report-again-'));
    try {
      expect(readFileSync(fixture(again).evidenceFile, 'utf8')).toBe(readFileSync(evidenceFile, 'utf8'));
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  test('SCHEMA.md documents this schema version and every top-level and summary field', () => {
    const doc = readFileSync(join(projectRoot, 'policies', 'report', 'SCHEMA.md'), 'utf8');
    expect(doc).toContain(`schema ${REPORT_SCHEMA_VERSION}`);
    for (const field of [...Object.keys(report), ...Object.keys(report.summary), ...Object.keys(report.provenance)]) {
      expect(doc).toContain(`\`${field}\``);
    }
  });

  test('evidence recorded for other templates is refused', () => {
    const tampered = join(dir, 'tampered.json');
    const evidence = JSON.parse(readFileSync(evidenceFile, 'utf8'));
    evidence.provenance.templates[0].sha256 = '0'.repeat(64);
    writeFileSync(tampered, JSON.stringify(evidence));
    expect(() => loadReport({ evidenceFile: tampered, assemblyDir, outDir, generatedAt: new Date() })).toThrow(
      StaleEvidenceError,
    );
  });
});

describe('service evidence in the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-report-service-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { evidenceFile, assemblyDir } = fixture(dir);
  const commit = (JSON.parse(readFileSync(evidenceFile, 'utf8')) as { provenance: { gitCommit: string } }).provenance
    .gitCommit;
  const breakGlass = {
    file: 'test/break-glass.test.ts',
    name: 'happy path: grant, audit, ops notice with ids only, every read audited as break-glass',
    pillars: ['P04'],
    hipaa: ['164.312(a)(2)(ii)'],
  };
  const reportWith = (service: object | undefined, name: string) => {
    const serviceEvidenceFile = join(dir, `${name}.json`);
    if (service) writeFileSync(serviceEvidenceFile, JSON.stringify(service));
    return loadReport({ evidenceFile, assemblyDir, outDir: dir, serviceEvidenceFile, generatedAt: new Date(0) });
  };
  const file = (gitCommit: string, status: string) => ({
    formatVersion: 1,
    gitCommit,
    gitDirty: false,
    suite: { exitCode: status === 'pass' ? 0 : 1, passed: 1, failed: status === 'fail' ? 1 : 0, skipped: 0 },
    tests: [{ ...breakGlass, status }],
  });
  const row = (r: ReturnType<typeof reportWith>, id: string) => r.controls.find((c) => c.id === id)!;

  test('a passing test recorded on this commit makes its rows "Pass (service tests)", listing the test', () => {
    const r = reportWith(file(commit, 'pass'), 'current');
    expect(r.serviceEvidence.state).toBe('current');
    for (const id of ['P04', '164.312(a)(2)(ii)']) {
      expect(row(r, id)).toMatchObject({
        status: 'pass-service',
        serviceTests: [{ file: breakGlass.file, name: breakGlass.name, status: 'pass' }],
      });
    }
    expect(row(r, 'P06').status).toBe('not-automated'); // nothing mapped to it in this file
    expect(r.summary.verdict).toBe('PASS');
  });

  test('results from another commit are Stale, never a pass', () => {
    const r = reportWith(file('0'.repeat(40), 'pass'), 'stale');
    expect(r.serviceEvidence.state).toBe('stale');
    expect(row(r, 'P04').status).toBe('stale');
    expect(row(r, 'P04').note).toMatch(/^Service tests recorded on commit 000000000000, not this one/);
    expect(r.summary.notes.join(' ')).toMatch(/from commit 0{40}, not this one/);
  });

  test('a failed or missing mapped test on this commit fails the row and the verdict', () => {
    for (const status of ['fail', 'missing']) {
      const r = reportWith(file(commit, status), status);
      expect(row(r, 'P04').status).toBe('fail');
      expect(r.summary.verdict).toBe('FAIL');
    }
  });

  test('without a results file the rows stay "Not automated" and the report says how to record them', () => {
    const r = reportWith(undefined, 'absent');
    expect(r.serviceEvidence.state).toBe('absent');
    expect(row(r, 'P04').status).toBe('not-automated');
    expect(r.summary.notes.join(' ')).toMatch(/Run `npm test` before `npm run gate`/);
  });

  test('the exception register is sorted by review date with ids, and counted per owner', () => {
    const r = reportWith(undefined, 'owners');
    expect(r.exceptions.map((x) => [x.id, x.reviewBy])).toEqual([
      ['X001', '2030-06-30'],
      ['X002', null],
    ]);
    expect(r.exceptions[0].severity).toBe('error');
    expect(r.summary.exceptionOwners).toEqual([
      { owner: '(none)', count: 1, nextReviewBy: '—' },
      { owner: 'Platform security', count: 1, nextReviewBy: '2030-06-30' },
    ]);
  });
});
