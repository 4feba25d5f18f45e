/**
 * The control catalogue in one place: the kit's security pillars (P01-P18, from docs/pillars.md) and the HIPAA
 * Security Rule sections (45 CFR) that every rule and every report row maps to.
 * Rules name pillars and sections by these IDs; the types below make a typo a compile error.
 */

/** Where a pillar can really be checked: in the templates (IaC), in the service (APP), or only on paper (PROCESS). */
export type ControlLayer = 'IaC' | 'APP' | 'IaC+APP' | 'PROCESS';

export const HIPAA_SECTIONS = [
  { id: '164.312(a)(1)', title: 'Access control' },
  { id: '164.312(a)(2)(i)', title: 'Unique user identification' },
  { id: '164.312(a)(2)(ii)', title: 'Emergency access procedure' },
  { id: '164.312(a)(2)(iii)', title: 'Automatic logoff' },
  { id: '164.312(a)(2)(iv)', title: 'Encryption and decryption' },
  { id: '164.312(b)', title: 'Audit controls' },
  { id: '164.312(c)(1)', title: 'Integrity' },
  { id: '164.312(c)(2)', title: 'Mechanism to authenticate electronic PHI' },
  { id: '164.312(d)', title: 'Person or entity authentication' },
  { id: '164.312(e)(1)', title: 'Transmission security' },
  { id: '164.312(e)(2)(i)', title: 'Integrity controls (in transmission)' },
  { id: '164.312(e)(2)(ii)', title: 'Encryption (in transmission)' },
  { id: '164.308(a)(1)(ii)(D)', title: 'Information system activity review' },
  { id: '164.308(a)(5)(ii)(C)', title: 'Log-in monitoring' },
  { id: '164.308(a)(7)(ii)(A)', title: 'Data backup plan' },
] as const;

export type HipaaSectionId = (typeof HIPAA_SECTIONS)[number]['id'];

export interface Pillar {
  readonly id: string;
  readonly title: string;
  readonly layer: ControlLayer;
  /** The HIPAA sections this pillar evidences when it holds. */
  readonly hipaa: readonly HipaaSectionId[];
}

export const PILLARS = [
  {
    id: 'P01',
    title: 'Encryption in transit everywhere',
    layer: 'IaC+APP',
    hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  },
  {
    id: 'P02',
    title: 'Individual accounts, no shared logins',
    layer: 'IaC+APP',
    hipaa: ['164.312(a)(2)(i)', '164.312(d)'],
  },
  {
    id: 'P03',
    title: 'Every page view and action logged, with date, time and IP',
    layer: 'IaC+APP',
    hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)', '164.308(a)(5)(ii)(C)'],
  },
  {
    id: 'P04',
    title: 'PHI hidden unless purposely revealed, and the reveal logged',
    layer: 'APP',
    hipaa: ['164.312(a)(1)', '164.312(a)(2)(ii)', '164.312(b)'],
  },
  { id: 'P05', title: 'PHI encrypted at rest, field by field', layer: 'IaC+APP', hipaa: ['164.312(a)(2)(iv)'] },
  { id: 'P06', title: 'PHI stored apart from identifying data', layer: 'APP', hipaa: ['164.312(a)(1)'] },
  { id: 'P07', title: 'Least privilege, granted per individual', layer: 'IaC+APP', hipaa: ['164.312(a)(1)'] },
  { id: 'P08', title: 'Two-factor authentication, TOTP (RFC 6238 / 4226)', layer: 'IaC', hipaa: ['164.312(d)'] },
  { id: 'P09', title: 'Reports carry the minimum information', layer: 'APP', hipaa: ['164.312(a)(1)'] },
  {
    id: 'P10',
    title: 'Servers reachable only over SSH/SCP, no FTP/telnet',
    layer: 'IaC',
    hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  },
  { id: 'P11', title: 'SSH by key only, no passwords', layer: 'IaC', hipaa: ['164.312(a)(1)', '164.312(d)'] },
  {
    id: 'P12',
    title: 'Firewall opens only 80, 443 and 22 to the outside',
    layer: 'IaC',
    hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  },
  { id: 'P13', title: 'Long-term-support versions only', layer: 'IaC+APP', hipaa: ['164.312(c)(1)'] },
  { id: 'P14', title: 'Automatic logoff after 15 minutes idle', layer: 'IaC+APP', hipaa: ['164.312(a)(2)(iii)'] },
  { id: 'P15', title: 'Warning banner at every entry point', layer: 'IaC+APP', hipaa: ['164.312(a)(1)'] },
  {
    id: 'P16',
    title: 'Data-loss prevention (Macie, optional)',
    layer: 'IaC',
    hipaa: ['164.312(c)(1)', '164.312(e)(1)'],
  },
  {
    id: 'P17',
    title: 'Yearly third-party penetration test and risk assessment',
    layer: 'PROCESS',
    hipaa: ['164.308(a)(1)(ii)(D)'],
  },
  { id: 'P18', title: 'Dedicated infrastructure, in your own account', layer: 'IaC', hipaa: ['164.312(a)(1)'] },
] as const satisfies readonly Pillar[];

export type PillarId = (typeof PILLARS)[number]['id'];

/** The pillar with this ID (throws on an unknown ID, which the types already prevent). */
export function pillar(id: PillarId): Pillar {
  const found = PILLARS.find((p) => p.id === id);
  if (!found) throw new Error(`unknown pillar ${id}`);
  return found;
}
