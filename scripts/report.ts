/**
 * Writes the auditor's evidence report into reports/: compliance.html, compliance.md, compliance.json, findings.csv.
 * Reads the evidence the last synth recorded (reports/.evidence.json) and the templates of its assembly (cdk.out).
 * Usage: tsx scripts/report.ts [--assembly cdk.out] [--evidence reports/.evidence.json] [--out reports]
 */
import { StaleEvidenceError, writeReport } from '../policies/report/write-report';
import { existsSync } from 'node:fs';
import { mergeStoredLive } from '../verify/merge-report';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const assemblyDir = option('--assembly', 'cdk.out');
const outDir = option('--out', 'reports');
const evidenceFile = option('--evidence', 'reports/.evidence.json');

if (!existsSync(evidenceFile) || !existsSync(assemblyDir)) {
  console.error(`report: ${existsSync(evidenceFile) ? assemblyDir : evidenceFile} not found; run "npm run gate" first`);
  process.exit(2);
}
const started = process.hrtime.bigint();
try {
  const { report, files } = writeReport({ evidenceFile, assemblyDir, outDir, generatedAt: new Date() });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const s = report.summary;
  console.log(
    `report: ${s.verdict}; ${s.outcomes.compliant} compliant, ${s.outcomes.acknowledged} acknowledged, ` +
      `${s.outcomes['non-compliant']} non-compliant, ${s.outcomes.error} errors; written in ${ms.toFixed(0)} ms:`,
  );
  for (const file of files) console.log(`  ${file}`);
  // Keep the deployed-account column of `npm run verify` next to the fresh synth evidence.
  for (const file of mergeStoredLive(outDir)) console.log(`  ${file}: live column from verify merged`);
} catch (error) {
  if (error instanceof StaleEvidenceError) {
    console.error(`report: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
