import { ComplianceReport, ControlRow, OutcomeCounts, packSummaryRows, serviceEvidenceLine } from './model';
import { STATUS_LABELS, withinStack } from './render-html';

/** Escapes text for a GitHub-flavoured Markdown table cell (one line, no pipe, no HTML). */
export function mdCell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function code(text: string): string {
  return text === '' ? '' : `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function counts(c: OutcomeCounts): string {
  return `${c.compliant} / ${c.acknowledged} / ${c['non-compliant']} / ${c.error}`;
}

function controlTable(rows: readonly ControlRow[]): string {
  return table(
    ['ID', 'Control', 'Layer', 'Status', 'Evidencing rules', 'Resources', 'C / A / N / E'],
    rows.map((r) => [
      `**${mdCell(r.id)}**`,
      mdCell(r.title),
      mdCell(r.layer ?? 'HIPAA'),
      STATUS_LABELS[r.status],
      r.rules.length > 0
        ? r.rules.map(code).join(' ')
        : mdCell(r.note) + r.serviceTests.map((t) => `<br>${mdCell(`${t.name} (${t.status})`)}`).join(''),
      `${r.resourcesChecked}`,
      counts(r.outcomes),
    ]),
  );
}

/** The same report as Markdown, for pull-request comments (the per-rule list stays in the HTML, JSON and CSV). */
export function renderMarkdown(report: ComplianceReport): string {
  const s = report.summary;
  const p = report.provenance;
  const open = report.findings.filter((f) => f.status === 'non-compliant' || f.status === 'error');
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : 'none');
  const lines: string[] = [
    '# HIPAA Messaging Kit: compliance evidence report',
    '',
    `Profile **${mdCell(report.scope.profile)}**, account \`${report.scope.account}\`, region ${mdCell(report.scope.region)}; ` +
      `commit \`${p.gitCommit.slice(0, 12)}\`${p.gitDirty === true ? ' (uncommitted changes)' : ''}; kit ${p.kitVersion}, schema ${report.schemaVersion}.`,
    '',
    '## Summary',
    '',
    `**${s.verdict}**: ${s.outcomes['non-compliant']} open finding(s), ${s.outcomes.error} rule error(s), ` +
      `${s.exceptions} acknowledged, ${s.outcomes.compliant} compliant outcomes on ${s.resourcesChecked} resources ` +
      `in ${s.stacks} stacks; ${s.notApplicable} not-applicable results summarized (rule x resource pairs where ` +
      'the rule does not concern the resource; counted per rule, never listed).',
    '',
    table(
      ['Exception owner', 'Exceptions', 'Next review by'],
      s.exceptionOwners.map((o) => [mdCell(o.owner), `${o.count}`, o.nextReviewBy]),
    ),
    '',
    table(
      ['Pack', 'Rules', 'Resources checked', 'Compliant', 'Acknowledged', 'Non-compliant', 'Rule errors', 'N/A'],
      packSummaryRows(s),
    ),
    '',
    `- Pillars with automated template evidence: ${list(s.automatedPillars)}`,
    `- Pillars without template evidence (service tests or optional): ${list(s.notAutomatedPillars)}`,
    `- Process-only pillars: ${list(s.processPillars)}`,
    `- HIPAA sections with automated template evidence: ${list(s.automatedHipaaSections)}`,
    `- HIPAA sections without template evidence: ${list(s.notAutomatedHipaaSections)}`,
    ...s.notes.map((n) => `- ${n}`),
    '',
    '## Control matrix',
    '',
    'C / A / N / E: compliant, acknowledged, non-compliant and rule-error outcomes of the evidencing rules.',
    '',
    '### HIPAA Security Rule sections (45 CFR)',
    '',
    controlTable(report.controls.filter((c) => c.kind === 'hipaa')),
    '',
    '### Security pillars P01-P18',
    '',
    controlTable(report.controls.filter((c) => c.kind === 'pillar')),
    '',
    '## Process register',
    '',
    table(
      ['Pillar', 'Safeguard', 'HIPAA', 'Owner', 'Evidence required', 'Evidence attached'],
      report.processControls.map((r) => [
        `**${r.pillar}**`,
        mdCell(r.title),
        mdCell(r.hipaa.join(', ')),
        mdCell(r.owner),
        mdCell(r.evidenceRequired),
        '_(to be attached by the owner)_',
      ]),
    ),
    '',
    '## Exception register',
    '',
    report.exceptions.length === 0
      ? 'No acknowledged findings.'
      : table(
          ['ID', 'Review by', 'Owner', 'Severity', 'Rule', 'Resource', 'Reason', 'Acknowledged at'],
          report.exceptions.map((x) => [
            `**${x.id}**`,
            mdCell(x.reviewBy ?? '—'),
            mdCell(x.owner ?? '—'),
            x.severity,
            code(`${x.rule}${x.finding !== null ? `[${x.finding}]` : ''}`),
            code(x.resource),
            mdCell(x.reason),
            x.acknowledgedAt === x.resource ? '(the resource)' : code(x.acknowledgedAt),
          ]),
        ),
    '',
    ...(report.otherAcknowledgements.length === 0
      ? []
      : [
          '### Other acknowledgements',
          '',
          table(
            ['Acknowledged id', 'At', 'Reason', 'Note'],
            report.otherAcknowledgements.map((x) => [
              code(x.acknowledgedId),
              code(x.acknowledgedAt),
              mdCell(x.reason),
              mdCell(x.note),
            ]),
          ),
          '',
        ]),
    '## Resource inventory',
    '',
    'Derived from the synthesized templates; "—" means the column does not apply to the resource type.',
    '',
    ...report.inventory.flatMap((stack) => [
      `### ${stack.stack}`,
      '',
      table(
        ['Resource', 'Type', 'Encryption key', 'Logging', 'Public exposure', 'Deletion policy'],
        stack.items.map((i) => [
          code(withinStack(i.resource, stack.stack)),
          mdCell(i.type),
          mdCell(i.encryption),
          mdCell(i.logging),
          mdCell(i.publicExposure),
          mdCell(i.deletionPolicy),
        ]),
      ),
      '',
      `Also in this stack: ${stack.otherResources.map((o) => `${o.type} × ${o.count}`).join(', ') || 'nothing else'}.`,
      '',
    ]),
    '## Open findings',
    '',
    open.length === 0
      ? 'None: every evaluated rule is compliant or acknowledged.'
      : table(
          ['Status', 'Severity', 'Rule', 'Resource', 'Detail'],
          open.map((f) => [
            f.status,
            report.rules.find((r) => r.rule === f.rule)?.level ?? 'error',
            code(`${f.rule}${f.finding !== undefined ? `[${f.finding}]` : ''}`),
            code(f.resource),
            mdCell(f.error ?? ''),
          ]),
        ),
    '',
    '## Estimated monthly cost',
    '',
    `Total: **$${report.cost.monthlyTotalUsd.toFixed(2)}** per month (${report.cost.currency}).`,
    '',
    table(
      ['Item', 'Quantity', 'Unit price', 'Per month', ''],
      report.cost.lines.map((l) => [
        mdCell(l.item),
        mdCell(l.quantity),
        mdCell(l.unitPrice),
        `$${l.monthlyUsd.toFixed(2)}`,
        l.estimate ? 'estimate' : 'verified',
      ]),
    ),
    '',
    ...report.cost.notes.map((n) => `- ${mdCell(n)}`),
    '',
    '## Assessor sign-off',
    '',
    table(['Assessor (name, organization)', 'Date', 'Conclusion and conditions', 'Signature'], [['', '', '', '']]),
    '',
    '## Provenance',
    '',
    table(
      ['Item', 'Value'],
      [
        ['Kit version', p.kitVersion],
        ['Git commit', code(p.gitCommit)],
        ['Uncommitted changes at synth', String(p.gitDirty)],
        ['aws-cdk-lib', p.awsCdkLib],
        ['cdk-nag', p.cdkNag],
        ['Service test results', serviceEvidenceLine(report)],
      ],
    ),
    '',
    table(
      ['Stack', 'Template SHA-256'],
      p.templates.map((t) => [t.stack, code(t.sha256)]),
    ),
    '',
    `Generated at ${report.generatedAt}`,
    '',
  ];
  return lines.join('\n');
}
