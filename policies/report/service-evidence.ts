import { existsSync, readFileSync } from 'node:fs';

/**
 * The service's own evidence: `reports/service-evidence.json`, written by the service's whole-suite test run
 * (service/test/run.ts) with the mapping of service/test/evidence-map.json. The report reads it as evidence for the
 * application-layer rows, and only for the commit it was recorded on.
 */
export const SERVICE_EVIDENCE_FORMAT_VERSION = 1;

export type ServiceTestStatus = 'pass' | 'fail' | 'skip' | 'missing';

export interface ServiceTestResult {
  readonly file: string;
  readonly name: string;
  readonly pillars: readonly string[];
  readonly hipaa: readonly string[];
  readonly status: ServiceTestStatus;
}

export interface ServiceEvidenceFile {
  readonly formatVersion: number;
  readonly gitCommit: string;
  readonly gitDirty: boolean | 'unknown';
  readonly suite: {
    readonly exitCode: number;
    readonly passed: number;
    readonly failed: number;
    readonly skipped: number;
  };
  readonly tests: readonly ServiceTestResult[];
}

/**
 * - `current`: recorded on the report's commit, so its results count;
 * - `stale`: recorded on another commit: shown, never counted as a pass;
 * - `absent`: no file (only `npm run gate` ran, not `npm test`): the rows stay "Not automated".
 */
export type ServiceEvidenceState = 'current' | 'stale' | 'absent';

/** What the report says about the service evidence it read. */
export interface ServiceEvidenceSummary {
  readonly state: ServiceEvidenceState;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | 'unknown' | null;
  readonly suite: ServiceEvidenceFile['suite'] | null;
  readonly tests: readonly ServiceTestResult[];
}

/** Thrown for a file that exists but cannot be read as service evidence: the report must not guess. */
export class BadServiceEvidenceError extends Error {}

/** Reads the file (or notes its absence) and judges it against the commit the report describes. */
export function loadServiceEvidence(file: string, reportCommit: string): ServiceEvidenceSummary {
  if (!existsSync(file)) return { state: 'absent', gitCommit: null, gitDirty: null, suite: null, tests: [] };
  let parsed: ServiceEvidenceFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ServiceEvidenceFile;
  } catch (error) {
    throw new BadServiceEvidenceError(`${file} is not JSON (${(error as Error).message}): run \`npm test\` again`);
  }
  if (parsed.formatVersion !== SERVICE_EVIDENCE_FORMAT_VERSION || !Array.isArray(parsed.tests)) {
    throw new BadServiceEvidenceError(
      `${file} has format ${parsed.formatVersion}, expected ${SERVICE_EVIDENCE_FORMAT_VERSION}: run \`npm test\` again`,
    );
  }
  const current = parsed.gitCommit !== 'unknown' && parsed.gitCommit === reportCommit;
  return {
    state: current ? 'current' : 'stale',
    gitCommit: parsed.gitCommit,
    gitDirty: parsed.gitDirty,
    suite: parsed.suite,
    tests: [...parsed.tests].sort((a, b) =>
      a.file + a.name < b.file + b.name ? -1 : a.file + a.name > b.file + b.name ? 1 : 0,
    ),
  };
}

/** The service tests mapped to a pillar or HIPAA section. */
export function serviceTestsFor(evidence: ServiceEvidenceSummary, id: string): ServiceTestResult[] {
  return evidence.tests.filter((t) => t.pillars.includes(id) || t.hipaa.includes(id));
}
