import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { templateDigests } from '../evidence/provenance';
import { Evidence, EVIDENCE_FORMAT_VERSION } from '../evidence/types';
import { buildReport, ComplianceReport } from './model';
import { renderFindingsCsv } from './render-csv';
import { renderHtml } from './render-html';
import { renderMarkdown } from './render-markdown';
import { loadServiceEvidence } from './service-evidence';
import { assemblyScope, loadTemplates } from './templates';

export const REPORT_FILES = ['compliance.html', 'compliance.md', 'compliance.json', 'findings.csv'] as const;

export interface ReportOptions {
  /** `.evidence.json` written by the synth (bin/). */
  readonly evidenceFile: string;
  /** The cloud assembly that synth wrote (cdk.out). */
  readonly assemblyDir: string;
  readonly outDir: string;
  /** The service's test results (service/test/run.ts); absent is allowed and shown as such. */
  readonly serviceEvidenceFile?: string;
  /** The one value that differs between two runs on the same commit. */
  readonly generatedAt: Date;
}

/** Thrown when the evidence cannot be trusted for this assembly: the report would describe other templates. */
export class StaleEvidenceError extends Error {}

/** Reads the evidence, checks it belongs to the templates in the assembly, and returns the report model. */
export function loadReport(options: ReportOptions): ComplianceReport {
  const evidence = JSON.parse(readFileSync(options.evidenceFile, 'utf8')) as Evidence;
  if (evidence.formatVersion !== EVIDENCE_FORMAT_VERSION) {
    throw new StaleEvidenceError(
      `${options.evidenceFile} has format ${evidence.formatVersion}, expected ${EVIDENCE_FORMAT_VERSION}: synth again`,
    );
  }
  const recorded = JSON.stringify(evidence.provenance.templates);
  const current = JSON.stringify(templateDigests(options.assemblyDir));
  if (recorded !== current) {
    throw new StaleEvidenceError(
      `${options.evidenceFile} was recorded for other templates than those in ${options.assemblyDir}: ` +
        'run `npm run gate` (synth and report together)',
    );
  }
  const service = loadServiceEvidence(
    options.serviceEvidenceFile ?? join(options.outDir, 'service-evidence.json'),
    evidence.provenance.gitCommit,
  );
  return buildReport(
    evidence,
    loadTemplates(options.assemblyDir),
    options.generatedAt.toISOString(),
    assemblyScope(options.assemblyDir),
    service,
  );
}

/** Writes compliance.html, compliance.md, compliance.json and findings.csv into `outDir`. */
export function writeReport(options: ReportOptions): { report: ComplianceReport; files: string[] } {
  const report = loadReport(options);
  mkdirSync(options.outDir, { recursive: true });
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'compliance.html': renderHtml(report),
    'compliance.md': renderMarkdown(report),
    'compliance.json': `${JSON.stringify(report, undefined, 2)}\n`,
    'findings.csv': renderFindingsCsv(report),
  };
  const files = REPORT_FILES.map((name) => {
    const file = join(options.outDir, name);
    writeFileSync(file, contents[name]);
    return file;
  });
  return { report, files };
}
