import { ComplianceReport } from './model';
import { constructsOf, PACKS, ValidationReport } from './validation-report';

export interface GateOptions {
  /** `YYYY-MM-DD` (UTC): exceptions whose review-by date is before it fail the gate. */
  readonly today: string;
  /** List every acknowledgement instead of their count per owner. */
  readonly verbose: boolean;
  /** Only count constructs whose path contains this. */
  readonly stackFilter?: string;
}

export interface GateResult {
  readonly pass: boolean;
  /** What the gate prints, verdict last. */
  readonly lines: readonly string[];
}

/**
 * The compliance gate's judgement: one line per pack (all four, and the built-in validation), every open finding,
 * acknowledgements as a count per owner (or listed with `verbose`), every expired review, the service evidence,
 * then the verdict. Fails on an open finding, an expired review-by date, or a failed service test of this commit.
 */
export function judgeGate(validation: ValidationReport, report: ComplianceReport, options: GateOptions): GateResult {
  const matches = (path: string) => !options.stackFilter || path.includes(options.stackFilter);
  const lines: string[] = [];
  const openLines: string[] = [];
  let open = 0;
  const plugins = new Map(validation.pluginReports.map((p) => [p.pluginName, p]));
  const names = [...PACKS, ...[...plugins.keys()].filter((n) => !(PACKS as readonly string[]).includes(n)).sort()];
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const plugin = plugins.get(name);
    const findings = (plugin?.violations ?? []).flatMap((v) =>
      constructsOf(v)
        .filter((c) => matches(c.constructPath))
        .map((c) => ({ v, c })),
    );
    const acknowledged = (plugin?.suppressedViolations ?? []).reduce(
      (n, v) => n + constructsOf(v).filter((c) => matches(c.constructPath)).length,
      0,
    );
    open += findings.length;
    const pack = report.summary.packs.find((p) => p.pack === name);
    const evidence = pack
      ? `, ${pack.outcomes.compliant} compliant (${pack.rules} rules)`
      : (PACKS as readonly string[]).includes(name)
        ? ', no evidence recorded'
        : ' (built-in CloudFormation validation)';
    lines.push(`${name.padEnd(width)}  ${findings.length} open, ${acknowledged} acknowledged${evidence}`);
    for (const { v, c } of findings) {
      openLines.push(`  OPEN ${v.ruleName} ${c.constructPath}: ${v.description.split('\n')[0].slice(0, 160)}`);
    }
  }
  lines.push(...openLines);

  const exceptions = report.exceptions.filter((x) => matches(x.resource));
  const owners = new Map<string, number>();
  for (const x of exceptions) owners.set(x.owner ?? '(no owner)', (owners.get(x.owner ?? '(no owner)') ?? 0) + 1);
  const next = exceptions
    .map((x) => x.reviewBy ?? '')
    .filter(Boolean)
    .sort()[0];
  lines.push(
    `acknowledgements: ${exceptions.length} (${[...owners].map(([o, n]) => `${o}: ${n}`).join('; ') || 'none'})` +
      (next ? `; next review by ${next}` : '') +
      (options.verbose ? '' : '; --verbose lists them'),
  );
  if (options.verbose) {
    for (const x of exceptions) {
      lines.push(
        `  ACK ${x.id} ${x.rule}${x.finding !== null ? `[${x.finding}]` : ''} ${x.resource} (owner ${x.owner ?? 'none'}, review by ${x.reviewBy ?? 'none'}): ${x.reason}`,
      );
    }
  }
  const expired = [...exceptions, ...report.otherAcknowledgements]
    .filter((x) => x.reviewBy !== null && x.reviewBy < options.today)
    .map((x) => ({ id: x.acknowledgedId, at: x.acknowledgedAt, owner: x.owner, reviewBy: x.reviewBy! }));
  const expiredUnique = [...new Map(expired.map((x) => [`${x.at} ${x.id}`, x])).values()];
  for (const x of expiredUnique) {
    lines.push(`  EXPIRED ${x.id} on ${x.at}: review by ${x.reviewBy} has passed (owner ${x.owner ?? 'none'})`);
  }

  const se = report.serviceEvidence;
  const serviceFailed = se.state === 'current' && se.tests.some((t) => t.status === 'fail' || t.status === 'missing');
  lines.push(
    se.state === 'absent'
      ? 'service tests: no results recorded; application rows stay "Not automated" (run `npm test` first)'
      : se.state === 'stale'
        ? `service tests: results are from commit ${(se.gitCommit ?? '').slice(0, 12)}, not this one: shown as Stale`
        : `service tests: this commit, ${se.tests.filter((t) => t.status === 'pass').length} of ${se.tests.length} mapped tests passed`,
  );

  const reasons = [
    open > 0 ? `${open} open finding(s)` : '',
    expiredUnique.length > 0 ? `${expiredUnique.length} acknowledgement(s) past their review-by date` : '',
    serviceFailed ? 'a mapped service test failed or did not run on this commit' : '',
  ].filter(Boolean);
  lines.push(
    reasons.length === 0
      ? 'compliance gate: PASS (0 open findings in the four packs and the built-in validation; no review overdue)'
      : `compliance gate: FAIL (${reasons.join('; ')})`,
  );
  return { pass: reasons.length === 0, lines };
}
