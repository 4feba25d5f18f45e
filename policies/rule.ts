import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleResult } from 'cdk-nag';
import { HipaaSectionId, PillarId } from './controls';

/** What a Pillars rule states about itself; the pack, RULES.md and the report all read it from here. */
export interface PillarsRuleSpec {
  /** The rule ID without the pack prefix; findings read `Pillars-<id>`. Also the exported function's name. */
  readonly id: string;
  /** The pillars (P01-P18) this rule enforces. Empty only for HIPAA-only rules (e.g. the backup plan). */
  readonly pillars: readonly PillarId[];
  /** The HIPAA sections a compliant result evidences. */
  readonly hipaa: readonly HipaaSectionId[];
  /** Why the rule was triggered (the finding's text). */
  readonly info: string;
  /** Why the rule exists. */
  readonly explanation: string;
  /** @default NagMessageLevel.ERROR */
  readonly level?: NagMessageLevel;
  /** The check itself: COMPLIANT / NON_COMPLIANT / NOT_APPLICABLE, or granular findings (empty array = compliant). */
  readonly check: (node: CfnResource) => NagRuleResult;
}

export interface PillarsRuleMeta extends Omit<PillarsRuleSpec, 'check' | 'level'> {
  readonly level: NagMessageLevel;
}

/** A rule: callable like a cdk-nag rule function, with its metadata attached. */
export type PillarsRule = ((node: CfnResource) => NagRuleResult) & { readonly meta: PillarsRuleMeta };

/** Builds a rule whose function name is its ID, as cdk-nag derives rule IDs from `rule.name`. */
export function defineRule(spec: PillarsRuleSpec): PillarsRule {
  const { check, ...rest } = spec;
  const meta: PillarsRuleMeta = { ...rest, level: spec.level ?? NagMessageLevel.ERROR };
  const rule = (node: CfnResource) => check(node);
  Object.defineProperty(rule, 'name', { value: spec.id });
  return Object.assign(rule, { meta });
}
