import { KitConfig } from '../core/config';
import { Call, Clients } from './aws';
import { CheckResult, CheckSpec, errored } from './check';
import { Deployment } from './discovery';
import { VerifyError } from './errors';
import { Templates } from './expected';

/** Freshness limits, each overridable on the command line. */
export interface Thresholds {
  /** The trail's latest log delivery must be newer than this. @default 60 */
  readonly maxTrailDeliveryAgeMinutes: number;
  /** Digest files must exist within this many hours. @default 24 */
  readonly digestWindowHours: number;
  /** Recovery points for the DB and PHI bucket within this many hours. @default 26 */
  readonly backupWindowHours: number;
  /** The DB's latest restorable time must be newer than this. @default 15 */
  readonly maxRestoreLagMinutes: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  maxTrailDeliveryAgeMinutes: 60,
  digestWindowHours: 24,
  backupWindowHours: 26,
  maxRestoreLagMinutes: 15,
};

/** Everything a check area reads: the config, the synthesized templates, the deployment, and AWS. */
export interface VerifyContext {
  readonly config: KitConfig;
  readonly templates: Templates;
  readonly deployment: Deployment;
  readonly clients: Clients;
  readonly call: Call;
  readonly now: Date;
  readonly thresholds: Thresholds;
}

/**
 * Runs one resource's checks; a permission error or failed call becomes an `error` result for each of `specs`
 * (never a pass), so a missing permission cannot hide drift.
 */
export async function guarded(
  area: string,
  specs: readonly CheckSpec[],
  resource: string,
  body: () => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    return await body();
  } catch (error) {
    const reason =
      error instanceof VerifyError ? error.line : `${(error as Error).name ?? 'Error'}: ${(error as Error).message}`;
    return specs.map((spec) => errored(area, spec, resource, reason));
  }
}
