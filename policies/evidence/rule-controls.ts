import { HIPAA_SECTIONS } from '../controls';
import { PillarsRuleMeta } from '../rule';

/** What a rule evidences: kit pillars, catalogued HIPAA sections, and every control ID its pack names. */
export interface RuleControls {
  readonly pillars: readonly string[];
  readonly hipaa: readonly string[];
  readonly controls: readonly string[];
}

const CATALOGUED = new Set<string>(HIPAA_SECTIONS.map((s) => s.id));

/** The control IDs in a cdk-nag rule's info text: `... - (Control IDs: 164.312(a)(2)(iv), 164.312(e)(1)).` */
export function controlIdsIn(info: string): string[] {
  const list = /\(Control IDs?: (.*)\)\.?\s*$/.exec(info)?.[1];
  return list ? list.split(/,\s*/).map((id) => id.trim()) : [];
}

/**
 * Maps a rule to controls, only where the mapping is stated by the rule's author:
 * - Pillars rules declare their pillars and HIPAA sections (policies/rule.ts);
 * - HIPAA.Security rules name 45 CFR sections in their text; those in the kit's catalogue become HIPAA rows;
 * - NIST.800.53.R5 rules name 800-53 controls, kept as-is (the kit asserts no NIST-to-HIPAA crosswalk);
 * - AwsSolutions rules name no controls, so they evidence no row of the matrix.
 */
export function controlsOfRule(pack: string, info: string, meta?: PillarsRuleMeta): RuleControls {
  if (meta) return { pillars: [...meta.pillars], hipaa: [...meta.hipaa], controls: [...meta.hipaa] };
  const controls = pack === 'AwsSolutions' ? [] : controlIdsIn(info);
  const hipaa = pack === 'HIPAA.Security' ? controls.filter((id) => CATALOGUED.has(id)) : [];
  return { pillars: [], hipaa, controls };
}
