import { HipaaSectionId, PillarId } from '../policies/controls';

/** One live check's outcome: `error` means it could not be judged (a permission was missing, a call failed). */
export type CheckStatus = 'pass' | 'fail' | 'error';

/** What a check proves, in the catalogue's terms (policies/controls.ts), so the report can place it. */
export interface CheckSpec {
  /** Stable ID, `<area>.<what>`, e.g. `kms.rotation`. */
  readonly id: string;
  readonly title: string;
  readonly pillars: readonly PillarId[];
  readonly hipaa: readonly HipaaSectionId[];
}

export interface CheckResult extends CheckSpec {
  readonly area: string;
  /** The deployed resource judged: `<stack>/<logicalId> (<physical id>)`, or the account-level subject. */
  readonly resource: string;
  readonly status: CheckStatus;
  /** What was seen: the drift on failure, the evidence on success. */
  readonly detail: string;
}

/** Judges a check from the problems found: none means pass. */
export function judge(
  area: string,
  spec: CheckSpec,
  resource: string,
  problems: string[],
  evidence: string,
): CheckResult {
  const failed = problems.length > 0;
  return { ...spec, area, resource, status: failed ? 'fail' : 'pass', detail: failed ? problems.join('; ') : evidence };
}

/** A check that could not be judged (the reason is one line with its fix). */
export function errored(area: string, spec: CheckSpec, resource: string, reason: string): CheckResult {
  return { ...spec, area, resource, status: 'error', detail: reason };
}

/** Minutes between two instants, rounded down. */
export function minutesBetween(earlier: Date, later: Date): number {
  return Math.floor((later.getTime() - earlier.getTime()) / 60_000);
}
