/**
 * The evidence a synth records: every rule x resource outcome of the four packs, the rules themselves with the
 * controls they evidence, and the provenance of the run. Written to `reports/.evidence.json`; the report reads it.
 */

/** Bump on any change that breaks a reader of `.evidence.json`. */
export const EVIDENCE_FORMAT_VERSION = 1;

/** One rule's result on one resource (granular rules give one outcome per finding). */
export type OutcomeStatus = 'compliant' | 'non-compliant' | 'acknowledged' | 'error';

export const OUTCOME_STATUSES: readonly OutcomeStatus[] = ['compliant', 'non-compliant', 'acknowledged', 'error'];

/** An acknowledgement that covers an outcome: what was acknowledged, why, and on which construct. */
export interface AcknowledgementRef {
  /** The acknowledged id, e.g. `AwsSolutions::AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
  /** Construct path carrying the acknowledgement metadata (the resource itself or an ancestor). */
  readonly at: string;
  readonly owner?: string;
  /** `YYYY-MM-DD`. */
  readonly reviewBy?: string;
}

export interface Outcome {
  /** Pack (plugin) name: AwsSolutions, HIPAA.Security, NIST.800.53.R5 or Pillars. */
  readonly pack: string;
  /** Rule id, e.g. `AwsSolutions-IAM5`. */
  readonly rule: string;
  /** The granular finding of a rule that returns findings (e.g. `Resource::*`). */
  readonly finding?: string;
  /** Construct path of the CloudFormation resource. */
  readonly resource: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: OutcomeStatus;
  readonly acknowledgement?: AcknowledgementRef;
  /** The message the rule threw (status `error`, or `acknowledged` when an error was acknowledged). */
  readonly error?: string;
}

export interface RuleRecord {
  readonly pack: string;
  readonly rule: string;
  readonly level: 'error' | 'warning' | 'info';
  /** Why the rule triggers (the finding text). */
  readonly info: string;
  readonly explanation: string;
  /** Kit pillars (P01-P18) the rule evidences; only Pillars rules declare them. */
  readonly pillars: readonly string[];
  /** HIPAA sections of the kit's catalogue (policies/controls.ts) the rule evidences. */
  readonly hipaa: readonly string[];
  /** Every control ID the pack names for the rule (HIPAA or NIST 800-53), catalogued or not. */
  readonly controls: readonly string[];
  /** Resources on which the rule did not apply (summarized, not listed). */
  readonly notApplicable: number;
}

/** An acknowledgement found in the construct tree, whether or not it matched an outcome. */
export interface DeclaredAcknowledgement extends AcknowledgementRef {
  /** Outcomes of the four packs it covers; 0 for the built-in validation's ids or an unused one. */
  readonly covers: number;
}

export interface TemplateDigest {
  readonly stack: string;
  /** File name inside the assembly. */
  readonly file: string;
  readonly sha256: string;
}

export interface Provenance {
  readonly kitVersion: string;
  /** `git rev-parse HEAD`, or `unknown` outside a git checkout. */
  readonly gitCommit: string;
  /** True when the work tree had uncommitted changes: the report then describes more than the commit. */
  readonly gitDirty: boolean | 'unknown';
  readonly awsCdkLib: string;
  readonly cdkNag: string;
  readonly templates: readonly TemplateDigest[];
}

export interface Evidence {
  readonly formatVersion: number;
  readonly provenance: Provenance;
  readonly rules: readonly RuleRecord[];
  readonly outcomes: readonly Outcome[];
  readonly acknowledgements: readonly DeclaredAcknowledgement[];
}
