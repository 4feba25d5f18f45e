import { PillarId, PILLARS } from '../controls';

/** What the report asks for a pillar that no code can check: who answers for it, and what evidence to attach. */
export interface ProcessControlSpec {
  readonly owner: string;
  readonly evidence: string;
}

/** One entry per PROCESS pillar of policies/controls.ts (a test keeps the two in step). */
export const PROCESS_CONTROLS: Partial<Record<PillarId, ProcessControlSpec>> = {
  P17: {
    owner: 'Security officer of the deploying organization',
    evidence:
      'The latest third-party penetration test report and the yearly risk assessment, each dated within the last ' +
      '12 months, with the remediation status of every finding.',
  },
};

/** The IDs of the PROCESS pillars. */
export function processPillarIds(): string[] {
  return PILLARS.filter((p) => p.layer === 'PROCESS').map((p) => p.id);
}
