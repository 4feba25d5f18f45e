import { App } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { buildKit, registerCompliancePacks } from '../lib/kit-app';
import { writeEvidence } from '../policies/evidence/write-evidence';
import { Evidence } from '../policies/evidence/types';
import { REPORT_FILES, writeReport } from '../policies/report/write-report';
import { browserTest, CHROMIUM, CHROMIUM_ARGS } from './support/browser';
import { CDK_JSON_CONTEXT, testConfig } from './support/kit';

interface PluginReport {
  pluginName: string;
  violations: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
  suppressedViolations?: {
    ruleName: string;
    acknowledgedAt: string;
    violatingConstructs: { constructPath: string }[];
  }[];
}

/**
 * The one whole-app synth with everything on: every compliance pack and CDK's built-in CloudFormation validation.
 * A violation makes synth throw (with the report in the message); the report must then hold zero open findings.
 * The same synth feeds the evidence, the auditor's report and the browser test.
 */
describe('whole app with every pack and the built-in validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-whole-app-'));
  const outdir = join(dir, 'cdk.out');
  const evidenceFile = join(dir, '.evidence.json');
  let evidence: Evidence;
  let stackNames: string[];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
    buildKit(app, testConfig());
    const recorder = registerCompliancePacks(app);
    const assembly = app.synth();
    stackNames = assembly.stacks.map((s) => s.stackName).sort();
    evidence = writeEvidence(recorder, assembly.directory, resolve(__dirname, '..'), evidenceFile);
  });

  const validationReport = () =>
    JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] };
  const report = (name: string, generatedAt: Date) =>
    writeReport({ evidenceFile, assemblyDir: outdir, outDir: join(dir, name), generatedAt });

  test('synthesizes with zero open findings', () => {
    expect(stackNames).toEqual(
      ['Audit', 'Bastion', 'Data', 'Identity', 'Keys', 'Network', 'Service'].map((s) => `HipaaKit-Example-${s}`),
    );
    const open = validationReport().pluginReports.flatMap((p) =>
      p.violations.flatMap((v) => (v.violatingConstructs ?? []).map((c) => `${v.ruleName} ${c.constructPath}`)),
    );
    expect(open).toEqual([]);
  });

  test('the evidence holds every outcome of the four packs, and exactly the acknowledgements CDK applied', () => {
    expect([...new Set(evidence.rules.map((r) => r.pack))]).toEqual([
      'AwsSolutions',
      'HIPAA.Security',
      'NIST.800.53.R5',
      'Pillars',
    ]);
    expect(evidence.outcomes.filter((o) => o.status === 'compliant').length).toBeGreaterThan(100);
    expect(evidence.outcomes.filter((o) => o.status === 'non-compliant' || o.status === 'error')).toEqual([]);
    const fromCdk = validationReport()
      .pluginReports.filter((p) => p.pluginName !== 'CloudFormation Validate')
      .flatMap((p) =>
        (p.suppressedViolations ?? []).flatMap((v) =>
          v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath} @ ${v.acknowledgedAt}`),
        ),
      );
    const recorded = evidence.outcomes
      .filter((o) => o.status === 'acknowledged')
      .map((o) => `${o.rule}${o.finding ? `[${o.finding}]` : ''} ${o.resource} @ ${o.acknowledgement?.at}`);
    expect(recorded.sort()).toEqual(fromCdk.sort());
    expect(evidence.provenance.templates.map((t) => t.stack)).toEqual(stackNames);
  });

  test('two report runs are byte-identical except the generated-at line', () => {
    report('first', new Date('2026-01-01T00:00:00Z'));
    report('second', new Date('2026-06-30T12:34:56Z'));
    for (const name of REPORT_FILES) {
      const a = readFileSync(join(dir, 'first', name), 'utf8').split('\n');
      const b = readFileSync(join(dir, 'second', name), 'utf8').split('\n');
      expect(b).toHaveLength(a.length);
      const differing = a.map((line, i) => (line === b[i] ? undefined : `${line} | ${b[i]}`)).filter(Boolean);
      expect(differing).toHaveLength(name === 'findings.csv' ? 0 : 1);
      if (differing.length > 0) expect(differing[0]).toMatch(/2026-01-01T00:00:00.000Z.*2026-06-30T12:34:56.000Z/);
    }
  });

  test('the control matrix covers every HIPAA section and P01-P18, and the register every acknowledgement', () => {
    const { report: r } = report('matrix', new Date(0));
    expect(r.controls.map((c) => c.id)).toEqual([
      ...[
        '164.312(a)(1)',
        '164.312(a)(2)(i)',
        '164.312(a)(2)(ii)',
        '164.312(a)(2)(iii)',
        '164.312(a)(2)(iv)',
        '164.312(b)',
        '164.312(c)(1)',
        '164.312(c)(2)',
        '164.312(d)',
        '164.312(e)(1)',
        '164.312(e)(2)(i)',
        '164.312(e)(2)(ii)',
        '164.308(a)(1)(ii)(D)',
        '164.308(a)(5)(ii)(C)',
        '164.308(a)(7)(ii)(A)',
      ],
      ...Array.from({ length: 18 }, (_, i) => `P${String(i + 1).padStart(2, '0')}`),
    ]);
    expect(r.controls.filter((c) => c.status === 'fail')).toEqual([]);
    // Every template-checkable pillar has evidence; APP pillars and the optional P16 have none; P17 is process.
    expect(r.summary.notAutomatedPillars).toEqual(['P04', 'P06', 'P09', 'P16']);
    expect(r.summary.processPillars).toEqual(['P17']);
    expect(r.exceptions).toHaveLength(evidence.outcomes.filter((o) => o.status === 'acknowledged').length);
    expect(r.exceptions.every((x) => x.reason.length >= 20)).toBe(true);
  });

  browserTest()('the HTML report renders in headless Chromium with every key section', async () => {
    const { files } = report('browser', new Date('2026-01-01T00:00:00Z'));
    const html = files.find((f) => f.endsWith('compliance.html'))!;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`external request: ${request.url()}`);
      });
      await page.goto(`file://${html}`);
      for (const id of ['summary', 'controls', 'process', 'exceptions', 'inventory', 'cost', 'signoff', 'provenance']) {
        await expect(page.locator(`#${id} h2`).isVisible()).resolves.toBe(true);
      }
      const pillarRows = Array.from({ length: 18 }, (_, i) => `P${String(i + 1).padStart(2, '0')}`);
      await expect(page.locator('#controls table').last().isVisible()).resolves.toBe(true);
      await expect(page.locator('#controls tbody td:first-child').allTextContents()).resolves.toEqual(
        expect.arrayContaining(pillarRows),
      );
      await expect(page.locator('#summary .verdict').textContent()).resolves.toBe('PASS');
      await expect(page.locator('#exceptions tbody tr').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('#inventory h3').count()).resolves.toBe(7);
      await expect(page.locator('#generated-at').textContent()).resolves.toContain('2026-01-01T00:00:00.000Z');
      // The scope header and the two outcome charts are at the top; a "Pass with exceptions" links to its register rows.
      await expect(page.locator('header table.scope').textContent()).resolves.toMatch(
        /Example.*123456789012.*us-east-1/s,
      );
      await expect(page.locator('#summary svg').count()).resolves.toBe(2);
      const link = page.locator('#controls details[id^="exc-"] a').first();
      const target = (await link.getAttribute('href'))!;
      await expect(page.locator(`#exceptions tr${target}`).count()).resolves.toBe(1);
      await expect(page.locator('#cost').textContent()).resolves.toMatch(/Total: \$\d+\.\d\d per month/);
      const screenshot = join(tmpdir(), 'hipaa-kit-compliance-report.png');
      await page.screenshot({ path: screenshot, fullPage: false });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
