import { ControlLayer, HIPAA_SECTIONS, PILLARS } from '../controls';
import { compareText } from '../evidence/recorder';
import { Evidence, Outcome, OUTCOME_STATUSES, OutcomeStatus, Provenance, RuleRecord } from '../evidence/types';
import { CostEstimate, estimateCost } from './cost';
import { inventoryOf, StackInventory } from './inventory';
import { PROCESS_CONTROLS } from './process-controls';
import { ServiceEvidenceSummary, serviceTestsFor, ServiceTestStatus } from './service-evidence';
import { Templates } from './templates';

/** Version of compliance.json (semantic: a major bump breaks readers). Documented in policies/report/SCHEMA.md. */
export const REPORT_SCHEMA_VERSION = '1.2.0';

export type OutcomeCounts = Record<OutcomeStatus, number>;

/**
 * - `pass`: every outcome of the evidencing rules is compliant;
 * - `pass-with-exceptions`: no open finding, at least one acknowledged;
 * - `fail`: an open finding or a rule error;
 * - `no-resources`: rules exist but applied to no resource of this app;
 * - `pass-service`: no template rule, and every service test mapped to it passed on this commit;
 * - `stale`: no template rule, and the service test results are from another commit;
 * - `not-automated`: no template rule and no service evidence (APP pillars are tested in service/: run `npm test`);
 * - `process`: administrative; see the process register.
 */
export type ControlStatus =
  'pass' | 'pass-with-exceptions' | 'pass-service' | 'stale' | 'fail' | 'no-resources' | 'not-automated' | 'process';

/** A service test behind a row, with its result. */
export interface ServiceTestRef {
  readonly file: string;
  readonly name: string;
  readonly status: ServiceTestStatus;
}

export interface ControlRow {
  readonly kind: 'hipaa' | 'pillar';
  readonly id: string;
  readonly title: string;
  /** Pillars only: where the pillar can be checked. */
  readonly layer?: ControlLayer;
  readonly status: ControlStatus;
  /** Rules (`Pack-Rule`) mapped to this control that evaluated at least one resource. */
  readonly rules: readonly string[];
  /** Rules mapped to this control that applied to no resource. */
  readonly rulesNotApplicable: readonly string[];
  /** Distinct resources the evidencing rules checked. */
  readonly resourcesChecked: number;
  readonly outcomes: OutcomeCounts;
  /** HIPAA rows: the pillars that support the section; pillar rows: the sections the pillar supports. */
  readonly related: readonly string[];
  readonly note: string;
  /** Service tests mapped to this row (service/test/evidence-map.json), with their recorded result. */
  readonly serviceTests: readonly ServiceTestRef[];
  /** `id`s of the exception register rows behind a `pass-with-exceptions` (acknowledged outcomes of its rules). */
  readonly exceptionIds: readonly string[];
}

export interface ProcessRow {
  readonly pillar: string;
  readonly title: string;
  readonly hipaa: readonly string[];
  readonly owner: string;
  readonly evidenceRequired: string;
  /** Left empty by the kit: the owner fills it (document, date, reviewer) before handing the report over. */
  readonly evidenceAttached: null;
}

export interface ExceptionRow {
  /** `X001`, ...: the row's place in the register, sorted by review-by date (next review first). */
  readonly id: string;
  /** The rule's cdk-nag level: `error`, `warning` or `info`. */
  readonly severity: string;
  readonly pack: string;
  readonly rule: string;
  readonly finding: string | null;
  readonly stack: string;
  readonly resource: string;
  readonly reason: string;
  readonly acknowledgedId: string;
  /** Construct path carrying the acknowledgement (the resource or an ancestor). */
  readonly acknowledgedAt: string;
  readonly owner: string | null;
  readonly reviewBy: string | null;
}

export interface OtherAcknowledgementRow {
  readonly acknowledgedId: string;
  readonly acknowledgedAt: string;
  readonly reason: string;
  readonly owner: string | null;
  readonly reviewBy: string | null;
  /** Why it covers no outcome of the four packs. */
  readonly note: string;
}

export interface PackSummary {
  readonly pack: string;
  readonly rules: number;
  readonly resourcesChecked: number;
  readonly outcomes: OutcomeCounts;
  readonly notApplicable: number;
}

export interface ReportSummary {
  /** PASS when no outcome of the four packs is non-compliant or an error (the gate also fails on open built-in validation findings). */
  readonly verdict: 'PASS' | 'FAIL';
  readonly stacks: number;
  readonly resourcesChecked: number;
  readonly outcomes: OutcomeCounts;
  readonly notApplicable: number;
  readonly exceptions: number;
  /** Exceptions per owner, with the owner's next review-by date; owners in name order. */
  readonly exceptionOwners: readonly {
    readonly owner: string;
    readonly count: number;
    readonly nextReviewBy: string;
  }[];
  readonly packs: readonly PackSummary[];
  readonly automatedPillars: readonly string[];
  readonly notAutomatedPillars: readonly string[];
  readonly processPillars: readonly string[];
  readonly automatedHipaaSections: readonly string[];
  readonly notAutomatedHipaaSections: readonly string[];
  readonly notes: readonly string[];
}

/** What the report is about, shown at its top. */
export interface ReportScope {
  /** The kit profile, from the stack names (`HipaaKit-<profile>-...`). */
  readonly profile: string;
  readonly account: string;
  readonly region: string;
}

export interface ComplianceReport {
  readonly schemaVersion: string;
  readonly generatedAt: string;
  readonly scope: ReportScope;
  readonly provenance: Provenance;
  /** The service's test results as read (`state`: current, stale or absent), for the application-layer rows. */
  readonly serviceEvidence: ServiceEvidenceSummary;
  readonly summary: ReportSummary;
  /** Priced bill of materials of the synthesized templates (the same as `npm run cost`). */
  readonly cost: CostEstimate;
  readonly controls: readonly ControlRow[];
  readonly processControls: readonly ProcessRow[];
  readonly inventory: readonly StackInventory[];
  readonly exceptions: readonly ExceptionRow[];
  readonly otherAcknowledgements: readonly OtherAcknowledgementRow[];
  readonly rules: readonly (RuleRecord & { readonly outcomes: OutcomeCounts })[];
  readonly findings: readonly Outcome[];
}

function zero(): OutcomeCounts {
  return Object.fromEntries(OUTCOME_STATUSES.map((s) => [s, 0])) as OutcomeCounts;
}

function countOutcomes(outcomes: readonly Outcome[]): OutcomeCounts {
  const counts = zero();
  for (const o of outcomes) counts[o.status] += 1;
  return counts;
}

function statusOf(counts: OutcomeCounts, mappedRules: number): ControlStatus {
  if (counts['non-compliant'] + counts.error > 0) return 'fail';
  if (counts.acknowledged > 0) return 'pass-with-exceptions';
  if (counts.compliant > 0) return 'pass';
  return mappedRules > 0 ? 'no-resources' : 'not-automated';
}

const uniqueSorted = (values: Iterable<string>) => [...new Set(values)].sort(compareText);

/** The control matrix row for the rules in `mapped`. */
function controlRow(
  base: Pick<ControlRow, 'kind' | 'id' | 'title' | 'layer' | 'related'>,
  mapped: readonly RuleRecord[],
  byRule: ReadonlyMap<string, Outcome[]>,
  note: (status: ControlStatus) => string,
  service: ServiceEvidenceSummary,
  exceptionIdOf: ReadonlyMap<Outcome, string>,
  statusOverride?: ControlStatus,
): ControlRow {
  const outcomes = mapped.flatMap((r) => byRule.get(r.rule) ?? []);
  const counts = countOutcomes(outcomes);
  const tests = serviceTestsFor(service, base.id);
  const templateStatus = statusOverride ?? statusOf(counts, mapped.length);
  // Service tests speak only for rows no template rule covers, and only from this commit.
  const status =
    templateStatus !== 'not-automated' || tests.length === 0 || service.state === 'absent'
      ? templateStatus
      : service.state === 'stale'
        ? 'stale'
        : tests.every((t) => t.status === 'pass')
          ? 'pass-service'
          : 'fail';
  return {
    ...base,
    status,
    rules: uniqueSorted(mapped.filter((r) => byRule.has(r.rule)).map((r) => r.rule)),
    rulesNotApplicable: uniqueSorted(mapped.filter((r) => !byRule.has(r.rule)).map((r) => r.rule)),
    resourcesChecked: new Set(outcomes.map((o) => o.resource)).size,
    outcomes: counts,
    note: serviceNote(status, tests.length, service) ?? note(status),
    serviceTests: tests.map((t) => ({ file: t.file, name: t.name, status: t.status })),
    exceptionIds: uniqueSorted(outcomes.flatMap((o) => exceptionIdOf.get(o) ?? [])),
  };
}

function serviceNote(status: ControlStatus, tests: number, service: ServiceEvidenceSummary): string | undefined {
  const commit = (service.gitCommit ?? '').slice(0, 12);
  if (status === 'pass-service') return `Proven by ${tests} service test(s) that passed on this commit (service/).`;
  if (status === 'stale') {
    return `Service tests recorded on commit ${commit}, not this one: run \`npm test\`, then \`npm run report\`.`;
  }
  if (status === 'fail' && service.state === 'current' && tests > 0) {
    return 'A service test mapped to this row failed or did not run on this commit.';
  }
  if (status === 'not-automated' && tests > 0 && service.state === 'absent') {
    return 'Service tests cover it, but no results were recorded: run `npm test` before `npm run gate`.';
  }
  return undefined;
}

const LAYER_NOTES: Record<ControlLayer, string> = {
  IaC: 'Checked in the templates.',
  'IaC+APP': 'Template part checked here; the service part is covered by the service tests (service/).',
  APP: 'Enforced by the messaging service (service/) and its tests; nothing to check in a template.',
  PROCESS: 'Administrative safeguard: see the process register.',
};

/** Everything the four output files show, from the evidence of one synth and its templates. */
export function buildReport(
  evidence: Evidence,
  templates: Templates,
  generatedAt: string,
  scope: ReportScope,
  service: ServiceEvidenceSummary,
): ComplianceReport {
  const byRule = new Map<string, Outcome[]>();
  for (const o of evidence.outcomes) byRule.set(o.rule, [...(byRule.get(o.rule) ?? []), o]);
  const levelOf = new Map(evidence.rules.map((r) => [r.rule, r.level]));

  // The register, next review first; each row gets a stable id the control matrix links to.
  const acknowledged = evidence.outcomes
    .filter((o) => o.status === 'acknowledged' && o.acknowledgement)
    .sort(
      (a, b) =>
        compareText(a.acknowledgement!.reviewBy ?? '9999', b.acknowledgement!.reviewBy ?? '9999') ||
        compareText(a.rule, b.rule) ||
        compareText(a.resource, b.resource) ||
        compareText(a.finding ?? '', b.finding ?? ''),
    );
  const exceptionIdOf = new Map(acknowledged.map((o, i) => [o, `X${String(i + 1).padStart(3, '0')}`]));

  const pillarRows = PILLARS.map((p) =>
    controlRow(
      { kind: 'pillar', id: p.id, title: p.title, layer: p.layer, related: [...p.hipaa] },
      evidence.rules.filter((r) => r.pillars.includes(p.id)),
      byRule,
      (status) =>
        status === 'not-automated' && p.layer !== 'APP'
          ? p.id === 'P16'
            ? 'Optional (Amazon Macie); no template rule in this kit.'
            : 'No template rule.'
          : LAYER_NOTES[p.layer],
      service,
      exceptionIdOf,
      p.layer === 'PROCESS' ? 'process' : undefined,
    ),
  );
  const hipaaRows = HIPAA_SECTIONS.map((s) =>
    controlRow(
      {
        kind: 'hipaa',
        id: s.id,
        title: s.title,
        related: PILLARS.filter((p) => (p.hipaa as readonly string[]).includes(s.id)).map((p) => p.id),
      },
      evidence.rules.filter((r) => r.hipaa.includes(s.id)),
      byRule,
      (status) =>
        status === 'not-automated'
          ? 'No template rule; see the supporting pillars (service tests, process register).'
          : '',
      service,
      exceptionIdOf,
    ),
  );

  const exceptions: ExceptionRow[] = acknowledged.map((o) => ({
    id: exceptionIdOf.get(o)!,
    severity: levelOf.get(o.rule) ?? 'error',
    pack: o.pack,
    rule: o.rule,
    finding: o.finding ?? null,
    stack: o.stack,
    resource: o.resource,
    reason: o.acknowledgement!.reason,
    acknowledgedId: o.acknowledgement!.id,
    acknowledgedAt: o.acknowledgement!.at,
    owner: o.acknowledgement!.owner ?? null,
    reviewBy: o.acknowledgement!.reviewBy ?? null,
  }));
  const owners = uniqueSorted(exceptions.map((x) => x.owner ?? '(none)')).map((owner) => {
    const mine = exceptions.filter((x) => (x.owner ?? '(none)') === owner);
    return { owner, count: mine.length, nextReviewBy: mine.map((x) => x.reviewBy ?? '—').sort(compareText)[0] };
  });
  const serviceFailed =
    service.state === 'current' && service.tests.some((t) => t.status === 'fail' || t.status === 'missing');
  const otherAcknowledgements: OtherAcknowledgementRow[] = evidence.acknowledgements
    .filter((a) => a.covers === 0)
    .map((a) => ({
      acknowledgedId: a.id,
      acknowledgedAt: a.at,
      reason: a.reason,
      owner: a.owner ?? null,
      reviewBy: a.reviewBy ?? null,
      note: a.id.startsWith('CloudFormation-Validate::')
        ? "CDK's built-in CloudFormation validation; see cdk.out/validation-report.json"
        : 'Matches no finding of the four packs in this synth (stale or for another profile)',
    }));

  const packs = uniqueSorted(evidence.rules.map((r) => r.pack)).map((pack) => {
    const outcomes = evidence.outcomes.filter((o) => o.pack === pack);
    const rules = evidence.rules.filter((r) => r.pack === pack);
    return {
      pack,
      rules: rules.length,
      resourcesChecked: new Set(outcomes.map((o) => o.resource)).size,
      outcomes: countOutcomes(outcomes),
      notApplicable: rules.reduce((n, r) => n + r.notApplicable, 0),
    };
  });
  const outcomes = countOutcomes(evidence.outcomes);
  const automated = (rows: ControlRow[]) => rows.filter((r) => r.rules.length > 0).map((r) => r.id);
  const notAutomated = (rows: ControlRow[]) =>
    rows.filter((r) => r.rules.length === 0 && r.status !== 'process').map((r) => r.id);
  const tenancy = exceptions.find((e) => e.rule === 'Pillars-VPCDedicatedTenancy');

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    scope,
    provenance: evidence.provenance,
    serviceEvidence: service,
    cost: estimateCost(templates, scope.region),
    summary: {
      verdict: outcomes['non-compliant'] + outcomes.error === 0 && !serviceFailed ? 'PASS' : 'FAIL',
      stacks: evidence.provenance.templates.length,
      resourcesChecked: new Set(evidence.outcomes.map((o) => o.resource)).size,
      outcomes,
      notApplicable: packs.reduce((n, p) => n + p.notApplicable, 0),
      exceptions: exceptions.length,
      exceptionOwners: owners,
      packs,
      automatedPillars: automated(pillarRows),
      notAutomatedPillars: notAutomated(pillarRows),
      processPillars: pillarRows.filter((r) => r.status === 'process').map((r) => r.id),
      automatedHipaaSections: automated(hipaaRows),
      notAutomatedHipaaSections: notAutomated(hipaaRows),
      notes: [
        'Synth-time evidence: it shows what the templates of this commit declare, not what an AWS account runs now.',
        ...(tenancy
          ? [
              'Tenancy is `default` (P18 acknowledged): instances share hardware with other AWS customers, the ' +
                'dedicated-instance fees disappear, and the tenancy guard is off.',
            ]
          : []),
        ...(evidence.provenance.gitDirty === true
          ? ['The work tree had uncommitted changes at synth: the report describes more than the named commit.']
          : []),
        ...serviceEvidenceNotes(service),
      ],
    },
    controls: [...hipaaRows, ...pillarRows],
    processControls: PILLARS.filter((p) => p.layer === 'PROCESS').map((p) => ({
      pillar: p.id,
      title: p.title,
      hipaa: [...p.hipaa],
      owner: PROCESS_CONTROLS[p.id]?.owner ?? 'unassigned',
      evidenceRequired: PROCESS_CONTROLS[p.id]?.evidence ?? 'to be defined',
      evidenceAttached: null,
    })),
    inventory: inventoryOf(templates),
    exceptions,
    otherAcknowledgements,
    rules: evidence.rules.map((r) => ({ ...r, outcomes: countOutcomes(byRule.get(r.rule) ?? []) })),
    findings: evidence.outcomes,
  };
}

/** Per-pack summary cells (pack, rules, resources, compliant, acknowledged, non-compliant, errors, N/A), as text. */
export function packSummaryRows(summary: ReportSummary): string[][] {
  return summary.packs.map((k) => [
    k.pack,
    `${k.rules}`,
    `${k.resourcesChecked}`,
    `${k.outcomes.compliant}`,
    `${k.outcomes.acknowledged}`,
    `${k.outcomes['non-compliant']}`,
    `${k.outcomes.error}`,
    `${k.notApplicable}`,
  ]);
}

function serviceEvidenceNotes(service: ServiceEvidenceSummary): string[] {
  if (service.state === 'absent') {
    return [
      'No service test results (reports/service-evidence.json): rows proven only by the service tests show ' +
        '"Not automated". Run `npm test` before `npm run gate` (CI does) to record them for this commit.',
    ];
  }
  const suite = service.suite!;
  const run = `${suite.passed} passed, ${suite.failed} failed, ${suite.skipped} skipped`;
  if (service.state === 'stale') {
    return [
      `Service test results are from commit ${service.gitCommit}, not this one (${run}): they are shown as Stale ` +
        'and prove nothing here.',
    ];
  }
  const failed = service.tests.filter((t) => t.status !== 'pass');
  return [
    `Service tests on this commit: ${run}` +
      (failed.length > 0 ? `; ${failed.length} mapped test(s) did not pass, so the verdict is FAIL.` : '.') +
      (service.gitDirty === true ? ' They ran on a work tree with uncommitted changes.' : ''),
  ];
}

/** Where the application-layer evidence came from, in one cell. */
export function serviceEvidenceLine(report: ComplianceReport): string {
  const se = report.serviceEvidence;
  if (se.state === 'absent') return 'none recorded (run `npm test` before `npm run gate`)';
  return `${se.state === 'current' ? 'this commit' : `stale: commit ${se.gitCommit}`}; ${se.suite!.passed} passed, ${se.suite!.failed} failed`;
}
