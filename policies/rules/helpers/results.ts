/** What a rule returns. */
import { NagRuleCompliance, NagRuleFindings } from 'cdk-nag';

/** Granular findings, or COMPLIANT when there are none (an explicit positive result for evidence recording). */
export function findingsOrCompliant(findings: string[]): NagRuleFindings | NagRuleCompliance {
  return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
}

/** COMPLIANT when `ok`, else NON_COMPLIANT. */
export function compliantIf(ok: boolean): NagRuleCompliance {
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
