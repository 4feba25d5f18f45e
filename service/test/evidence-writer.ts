// Writes reports/service-evidence.json (at the kit's root) after a whole-suite run: every top-level test's result,
// the pillars and HIPAA sections test/evidence-map.json maps it to, and the commit, for the kit's compliance report.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Result {
  file: string;
  name: string;
  status: 'pass' | 'fail' | 'skip';
}
interface Mapped {
  file: string;
  name: string;
  pillars: string[];
  hipaa: string[];
}

/** The kit's reports/ folder, where `npm run report` looks for this file. */
export const SERVICE_EVIDENCE_FILE = join(import.meta.dirname, '..', '..', 'reports', 'service-evidence.json');

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Reads the reporter's JSON lines in `dir` and writes the evidence file; returns its path and what it holds. */
export function writeServiceEvidence(dir: string, exitCode: number, file = SERVICE_EVIDENCE_FILE) {
  const results: Result[] = readdirSync(dir)
    .filter((f) => f.startsWith('evidence-') && f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Result),
    );
  const map = JSON.parse(readFileSync(join(import.meta.dirname, 'evidence-map.json'), 'utf8')) as { tests: Mapped[] };
  const status = (m: Mapped) => results.find((r) => r.file === m.file && r.name === m.name)?.status ?? 'missing';
  const status_ = git(['status', '--porcelain']);
  const evidence = {
    formatVersion: 1,
    gitCommit: git(['rev-parse', 'HEAD']) || 'unknown',
    gitDirty: status_ === undefined ? 'unknown' : status_ !== '',
    suite: {
      exitCode,
      passed: results.filter((r) => r.status === 'pass').length,
      failed: results.filter((r) => r.status === 'fail').length,
      skipped: results.filter((r) => r.status === 'skip').length,
    },
    // A mapped test that did not run (renamed, deleted) is `missing`: the report never counts it as a pass.
    tests: map.tests.map((m) => ({ ...m, status: status(m) })),
  };
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(evidence, undefined, 2)}\n`);
  return { file, evidence };
}
