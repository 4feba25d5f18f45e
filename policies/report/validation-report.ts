import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The parts of CDK's `cdk.out/validation-report.json` the gate, SARIF and JUnit writers read. */
export interface ViolatingConstruct {
  readonly constructPath: string;
  /** Creation stack traces (CDK keeps them in the report even when the CLI hides them). */
  readonly stackTraces?: readonly string[];
}
export interface Violation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity?: string;
  readonly violatingConstructs?: readonly ViolatingConstruct[];
  readonly violatingResources?: readonly ViolatingConstruct[];
}
export interface SuppressedViolation extends Violation {
  readonly acknowledgedId: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedStackTrace?: string;
}
export interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: readonly Violation[];
  readonly suppressedViolations?: readonly SuppressedViolation[];
}
export interface ValidationReport {
  readonly pluginReports: readonly PluginReport[];
}

/** The four cdk-nag packs, always listed by the gate (CDK's report omits a pack with nothing to say). */
export const PACKS = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'Pillars'] as const;

export function readValidationReport(assemblyDir: string): ValidationReport | undefined {
  const file = join(assemblyDir, 'validation-report.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ValidationReport) : undefined;
}

export function constructsOf(v: Violation): readonly ViolatingConstruct[] {
  return v.violatingConstructs ?? v.violatingResources ?? [];
}

/** A place in the kit's own source: `file` relative to the project root, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The first frame of a stack trace inside the project (not node_modules, not core/acknowledge.ts, which only relays):
 * where the construct was made, or where a finding was acknowledged.
 */
export function sourceLocationIn(trace: string | undefined, projectRoot: string): SourceLocation | undefined {
  for (const match of (trace ?? '').matchAll(/\(?([^\s()]+\.ts):(\d+):(\d+)\)?/g)) {
    const file = relative(projectRoot, match[1]).split(sep).join('/');
    if (file.startsWith('..') || file.startsWith('node_modules/') || file === 'core/acknowledge.ts') continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}
