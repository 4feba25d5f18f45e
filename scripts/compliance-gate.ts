/**
 * The compliance gate, after `cdk synth` and `npm run report`: one line per pack (all four, and CDK's built-in
 * validation), every open finding, acknowledgements counted per owner (`--verbose` lists them), overdue reviews, the
 * service evidence, and the verdict last. Also writes findings.sarif and compliance-junit.xml for CI.
 * Exits 1 on an open finding, a review-by date that has passed, or a failed service test of this commit.
 * Usage: tsx scripts/compliance-gate.ts [--assembly cdk.out] [--evidence reports/.evidence.json] [--out reports]
 *        [--stack <substring>] [--today YYYY-MM-DD] [--verbose]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { judgeGate } from '../policies/report/gate';
import { renderJunit } from '../policies/report/render-junit';
import { renderSarif } from '../policies/report/render-sarif';
import { readValidationReport } from '../policies/report/validation-report';
import { loadReport, StaleEvidenceError } from '../policies/report/write-report';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const assembly = option('--assembly') ?? 'cdk.out';
const outDir = option('--out') ?? 'reports';
const evidenceFile = option('--evidence') ?? join(outDir, '.evidence.json');
const today = option('--today') ?? new Date().toISOString().slice(0, 10);
const projectRoot = resolve(__dirname, '..');

const validation = readValidationReport(assembly);
if (!validation || !existsSync(evidenceFile)) {
  console.error(
    `compliance gate: ${validation ? evidenceFile : join(assembly, 'validation-report.json')} not found; run "npm run gate"`,
  );
  process.exit(2);
}
let report;
try {
  report = loadReport({ evidenceFile, assemblyDir: assembly, outDir, generatedAt: new Date(0) });
} catch (error) {
  if (!(error instanceof StaleEvidenceError)) throw error;
  console.error(`compliance gate: ${error.message}`);
  process.exit(2);
}
const kitVersion = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
mkdirSync(outDir, { recursive: true });
const sarif = join(outDir, 'findings.sarif');
const junit = join(outDir, 'compliance-junit.xml');
writeFileSync(sarif, renderSarif(validation, report, projectRoot, kitVersion));
writeFileSync(junit, renderJunit(report, validation));

const result = judgeGate(validation, report, {
  today,
  verbose: args.includes('--verbose'),
  stackFilter: option('--stack'),
});
const [verdict] = result.lines.slice(-1);
for (const line of result.lines.slice(0, -1)) console.log(line);
console.log(`CI files: ${sarif}, ${junit}`);
console.log(verdict);
process.exit(result.pass ? 0 : 1);
