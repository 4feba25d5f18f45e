/** The live column merged into a REAL compliance report (policies/report/ on a one-stack fixture). */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EvidenceRecorder } from '../../policies/evidence/recorder';
import { RecordingAwsSolutionsChecks } from '../../policies/evidence/recording-packs';
import { writeEvidence } from '../../policies/evidence/write-evidence';
import { writeReport } from '../../policies/report/write-report';
import { CheckResult } from '../../verify/check';
import { mergeStoredLive } from '../../verify/merge-report';
import { countStatuses, LiveReport, liveControls, verdictOf } from '../../verify/output';

const dir = mkdtempSync(join(tmpdir(), 'verify-merge-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const outDir = join(dir, 'reports');

beforeAll(() => {
  const app = new App({ outdir: join(dir, 'cdk.out') });
  const stack = new Stack(app, 'HipaaKit-Example-Data', { env: { account: '123456789012', region: 'us-east-1' } });
  new s3.Bucket(stack, 'PhiBucket', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  const assembly = app.synth();
  const recorder = new EvidenceRecorder();
  new RecordingAwsSolutionsChecks(recorder).validateScope(app);
  const evidenceFile = join(dir, '.evidence.json');
  writeEvidence(recorder, assembly.directory, resolve(__dirname, '..', '..'), evidenceFile);
  writeReport({ evidenceFile, assemblyDir: assembly.directory, outDir, generatedAt: new Date('2026-01-02T03:04:05Z') });
});

function live(profile: string, stacks: string[], checkedAt: string, status: CheckResult['status']): LiveReport {
  const checks: CheckResult[] = [
    {
      id: 's3.tls-only',
      title: 'Bucket policy denies non-TLS requests',
      pillars: ['P01'],
      hipaa: ['164.312(e)(1)'],
      area: 'S3',
      resource: 'HipaaKit-Example-Data/PhiBucket (b)',
      status,
      detail: 'x',
    },
  ];
  return {
    schemaVersion: '1.0.0',
    profile,
    account: '123456789012',
    region: 'us-east-1',
    checkedAt,
    verdict: verdictOf(checks),
    counts: countStatuses(checks),
    stacks: stacks.map((name) => ({ name, status: 'UPDATE_COMPLETE' })),
    missingStacks: [],
    controls: liveControls(checks),
    checks,
  };
}

test('npm run report keeps the newest matching live check as a column next to the synthesized status', () => {
  const write = (file: string, report: LiveReport) => writeFileSync(join(outDir, file), JSON.stringify(report));
  write('live-example.json', live('example', ['HipaaKit-Example-Data'], '2026-01-03T00:00:00.000Z', 'fail'));
  write('live-old.json', live('old', ['HipaaKit-Example-Data'], '2025-01-01T00:00:00.000Z', 'pass'));
  write('live-other.json', live('other', ['HipaaKit-Prod-Data'], '2027-01-01T00:00:00.000Z', 'pass'));

  expect(mergeStoredLive(outDir).map((f) => f.split('/').pop())).toEqual([
    'compliance.json',
    'compliance.md',
    'compliance.html',
  ]);
  mergeStoredLive(outDir); // idempotent

  const json = JSON.parse(readFileSync(join(outDir, 'compliance.json'), 'utf8'));
  expect(json.live).toMatchObject({
    checkedAt: '2026-01-03T00:00:00.000Z',
    verdict: 'FAIL',
    file: 'live-example.json',
  });
  const p01 = json.controls.find((c: { id: string }) => c.id === 'P01');
  expect(p01.live).toMatchObject({ status: 'fail', checks: ['s3.tls-only'], failed: 1 });
  expect(typeof p01.status).toBe('string'); // the synthesized status stays as it was
  expect(json.controls.find((c: { id: string }) => c.id === 'P08').live.status).toBe('not-checked');

  const md = readFileSync(join(outDir, 'compliance.md'), 'utf8');
  expect(md.match(/## Synthesized and deployed, side by side/g)).toHaveLength(1);
  expect(md).toMatch(
    /\| \*\*P01\*\* \| Encryption in transit everywhere \| [a-z-]+ \| Fail \| `s3.tls-only` \| 2026-01-03T00:00:00.000Z \|/,
  );
  expect(md.indexOf('side by side')).toBeLessThan(md.indexOf('## Process register'));

  const html = readFileSync(join(outDir, 'compliance.html'), 'utf8');
  expect(html.match(/<section id="live">/g)).toHaveLength(1);
  expect(html.indexOf('<section id="live">')).toBeLessThan(html.indexOf('<section id="process">'));
  expect(html).toContain('<span class="badge s-fail">Fail</span>');
});

test('nothing to merge without a compliance report', () => {
  expect(mergeStoredLive(join(dir, 'nowhere'))).toEqual([]);
});
