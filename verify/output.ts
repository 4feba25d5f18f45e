/**
 * What verify writes: a human summary on stdout and reports/live-<profile>.json (schema below, documented in the
 * README). Each check keeps its pillar and HIPAA mapping, and `controls` rolls them up per catalogue row so the
 * compliance report can show a "live" column next to the synthesized one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HIPAA_SECTIONS, PILLARS } from '../policies/controls';
import { CheckResult, CheckStatus } from './check';

export const LIVE_SCHEMA_VERSION = '1.0.0';

/** Per control row: `pass`, `fail` (a check failed), `error` (a check could not be judged), or `not-checked`. */
export type LiveControlStatus = CheckStatus | 'not-checked';

export interface LiveControl {
  readonly kind: 'hipaa' | 'pillar';
  readonly id: string;
  readonly status: LiveControlStatus;
  /** IDs of the checks that evidence this row (distinct). */
  readonly checks: readonly string[];
  readonly failed: number;
  readonly errors: number;
  readonly passed: number;
}

export interface LiveReport {
  readonly schemaVersion: string;
  readonly profile: string;
  readonly account: string;
  readonly region: string;
  /** ISO 8601 UTC time of the check. */
  readonly checkedAt: string;
  readonly verdict: 'PASS' | 'FAIL' | 'INCOMPLETE';
  readonly counts: Record<CheckStatus, number>;
  readonly stacks: readonly { readonly name: string; readonly status: string }[];
  readonly missingStacks: readonly string[];
  readonly controls: readonly LiveControl[];
  readonly checks: readonly CheckResult[];
}

export function countStatuses(checks: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, error: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

/** FAIL when any check failed (drift proven); INCOMPLETE when none failed but some could not be judged. */
export function verdictOf(checks: readonly CheckResult[]): LiveReport['verdict'] {
  const counts = countStatuses(checks);
  return counts.fail > 0 ? 'FAIL' : counts.error > 0 ? 'INCOMPLETE' : 'PASS';
}

/** One row per catalogue entry (HIPAA sections, then P01-P18), with the worst status of its checks. */
export function liveControls(checks: readonly CheckResult[]): LiveControl[] {
  const rows = [
    ...HIPAA_SECTIONS.map((h) => ({ kind: 'hipaa' as const, id: h.id as string })),
    ...PILLARS.map((p) => ({ kind: 'pillar' as const, id: p.id as string })),
  ];
  return rows.map((row) => {
    const mine = checks.filter((c) =>
      row.kind === 'hipaa'
        ? (c.hipaa as readonly string[]).includes(row.id)
        : (c.pillars as readonly string[]).includes(row.id),
    );
    const counts = countStatuses(mine);
    const status: LiveControlStatus =
      mine.length === 0 ? 'not-checked' : counts.fail > 0 ? 'fail' : counts.error > 0 ? 'error' : 'pass';
    return {
      ...row,
      status,
      checks: [...new Set(mine.map((c) => c.id))].sort(),
      failed: counts.fail,
      errors: counts.error,
      passed: counts.pass,
    };
  });
}

/** Writes reports/live-<profile>.json and returns its path. */
export function writeLiveReport(outDir: string, report: LiveReport): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `live-${report.profile}.json`);
  writeFileSync(file, `${JSON.stringify(report, undefined, 2)}\n`);
  return file;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS ', fail: 'FAIL ', error: 'ERROR' };

/** The human summary: failures and errors first with their detail, passes one line each, then the totals. */
export function renderSummary(report: LiveReport): string {
  const lines = [
    `verify: profile ${report.profile}, account ${report.account}, region ${report.region}, at ${report.checkedAt}`,
  ];
  for (const name of report.missingStacks) lines.push(`  FAIL  stack ${name} is not deployed`);
  const order: CheckStatus[] = ['fail', 'error', 'pass'];
  for (const status of order) {
    for (const c of report.checks.filter((x) => x.status === status)) {
      const controls = [...c.pillars, ...c.hipaa].join(', ');
      lines.push(`  ${MARK[status]} [${c.area}] ${c.title}: ${c.resource}`);
      lines.push(`        ${c.detail}${controls ? `  (${controls})` : ''}`);
    }
  }
  const n = report.counts;
  lines.push(`verify: ${report.verdict}; ${n.pass} passed, ${n.fail} failed, ${n.error} could not be checked`);
  return lines.join('\n');
}
