import {
  ComplianceReport,
  ControlRow,
  ControlStatus,
  OutcomeCounts,
  packSummaryRows,
  serviceEvidenceLine,
} from './model';
import { outcomeChart } from './render-chart';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

export const STATUS_LABELS: Record<ControlStatus, string> = {
  pass: 'Pass',
  'pass-with-exceptions': 'Pass with exceptions',
  'pass-service': 'Pass (service tests)',
  stale: 'Stale',
  fail: 'Fail',
  'no-resources': 'No resources',
  'not-automated': 'Not automated',
  process: 'Process',
};

const CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
main { padding: 0 32px 32px; max-width: 1500px; }
nav { margin: 8px 0 0; }
nav a { margin-right: 14px; }
p.lead, .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.counts { white-space: nowrap; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.s-pass { background: #dcf5e3; color: #135c2b; }
.s-pass-with-exceptions { background: #fff1c9; color: #6b4e00; }
.s-fail { background: #fde0df; color: #8c1d18; }
.s-pass-service { background: #d5f0ee; color: #0f5650; }
.s-stale { background: #f3e6d8; color: #6d4215; }
.s-no-resources, .s-not-automated { background: #e9ecf1; color: #3d4653; }
a.badge { text-decoration: none; }
table.scope { width: auto; margin: 10px 0 0; }
table.scope th { width: 120px; }
.charts { display: flex; flex-wrap: wrap; gap: 28px; margin: 10px 0; }
.charts figure { margin: 0; }
.charts figcaption { font-weight: 600; margin-bottom: 4px; }
.sev-error { color: #8c1d18; font-weight: 600; }
.sev-warning { color: #6b4e00; font-weight: 600; }
table.signoff td { height: 40px; }
.s-process { background: #e3ecff; color: #1f3f8c; }
.verdict { font-size: 16px; padding: 4px 14px; }
details summary { cursor: pointer; color: var(--muted); }
ul.compact { margin: 4px 0; padding-left: 18px; }
.slot { border: 1px dashed #9aa4b2; min-height: 48px; padding: 6px; color: var(--muted); }
footer { padding: 12px 32px; border-top: 1px solid var(--line); color: var(--muted); }
`;

function badge(status: ControlStatus): string {
  return `<span class="badge s-${status}">${STATUS_LABELS[status]}</span>`;
}

/** The status cell: a "Pass with exceptions" links to the register rows behind it; service tests are listed. */
function statusCell(r: ControlRow): string {
  if (r.status === 'pass-with-exceptions' && r.exceptionIds.length > 0) {
    const anchor = `exc-${r.id.replace(/[^A-Za-z0-9]/g, '')}`;
    const links = r.exceptionIds.map((id) => `<a href="#${id}">${id}</a>`).join(' ');
    return `<a class="badge s-${r.status}" href="#${anchor}">${STATUS_LABELS[r.status]}</a><details id="${anchor}"><summary>${r.exceptionIds.length} exception${r.exceptionIds.length === 1 ? '' : 's'}</summary>${links}</details>`;
  }
  return badge(r.status);
}

function serviceTestList(r: ControlRow): string {
  if (r.serviceTests.length === 0) return '';
  const items = r.serviceTests
    .map((t) => `<li><code>${e(t.file)}</code>: ${e(t.name)} <strong>${e(t.status)}</strong></li>`)
    .join('');
  return `<details><summary>${r.serviceTests.length} service test${r.serviceTests.length === 1 ? '' : 's'}</summary><ul class="compact">${items}</ul></details>`;
}

function counts(c: OutcomeCounts): string {
  return `${c.compliant} / ${c.acknowledged} / ${c['non-compliant']} / ${c.error}`;
}

/** A path shown under its stack's heading, without the stack's name. */
export function withinStack(path: string, stack: string): string {
  return path.startsWith(`${stack}/`) ? path.slice(stack.length + 1) : path;
}

function table(
  headers: string[],
  rows: string[][],
  numeric: number[] = [],
  nowrap: number[] = [],
  rowIds: string[] = [],
): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : nowrap.includes(i) ? ' class="counts"' : '');
  const th = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${h}</th>`).join('');
  const body = rows
    .map(
      (r, n) =>
        `<tr${rowIds[n] ? ` id="${rowIds[n]}"` : ''}>${r.map((cell, i) => `<td${cls(i)}>${cell}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function ruleList(rules: readonly string[], notApplicable: readonly string[]): string {
  if (rules.length === 0 && notApplicable.length === 0) return '<span class="muted">none</span>';
  const items = rules.map((r) => `<li><code>${e(r)}</code></li>`).join('');
  const na =
    notApplicable.length > 0
      ? `<p class="muted">Not applicable here: ${notApplicable.map((r) => `<code>${e(r)}</code>`).join(', ')}</p>`
      : '';
  return `<details><summary>${rules.length} rule${rules.length === 1 ? '' : 's'}</summary><ul class="compact">${items}</ul>${na}</details>`;
}

function controlRows(rows: readonly ControlRow[]): string[][] {
  return rows.map((r) => [
    `<strong>${e(r.id)}</strong>`,
    e(r.title),
    e(r.layer ?? 'HIPAA'),
    statusCell(r),
    ruleList(r.rules, r.rulesNotApplicable) + serviceTestList(r),
    `${r.resourcesChecked}`,
    counts(r.outcomes),
    e(r.related.join(', ')),
    e(r.note),
  ]);
}

function list(items: readonly string[]): string {
  return items.length > 0 ? items.map((i) => `<code>${e(i)}</code>`).join(', ') : '<span class="muted">none</span>';
}

/** The auditor's report as one self-contained HTML page: inline CSS, no script, no external asset. */
export function renderHtml(report: ComplianceReport): string {
  const s = report.summary;
  const p = report.provenance;
  const open = report.findings.filter((f) => f.status === 'non-compliant' || f.status === 'error');
  const hipaa = report.controls.filter((c) => c.kind === 'hipaa');
  const pillars = report.controls.filter((c) => c.kind === 'pillar');
  const levelOf = new Map(report.rules.map((r) => [r.rule, r.level]));
  const parts: string[] = [];

  parts.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>HIPAA Messaging Kit: compliance evidence report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>HIPAA Messaging Kit: compliance evidence report</h1>
<table class="scope">
<tr><th>Profile</th><td>${e(report.scope.profile)}</td><th>Account</th><td><code>${e(report.scope.account)}</code></td><th>Region</th><td>${e(report.scope.region)}</td></tr>
<tr><th>Commit</th><td><code>${e(p.gitCommit.slice(0, 12))}</code>${p.gitDirty === true ? ' (uncommitted changes)' : ''}</td><th>Kit version</th><td>${e(p.kitVersion)} (schema ${e(report.schemaVersion)})</td><th>Generated at</th><td id="generated-at">${e(report.generatedAt)}</td></tr>
</table>
<nav><a href="#summary">Summary</a><a href="#controls">Control matrix</a><a href="#process">Process register</a><a href="#exceptions">Exception register</a><a href="#inventory">Inventory</a><a href="#open-findings">Open findings</a><a href="#rules">Rules</a><a href="#cost">Cost</a><a href="#signoff">Sign-off</a><a href="#provenance">Provenance</a></nav>
</header>
<main>`);

  parts.push(`<section id="summary">
<h2>Summary</h2>
<p><span class="badge verdict s-${s.verdict === 'PASS' ? 'pass' : 'fail'}">${s.verdict}</span> ${
    s.verdict === 'PASS'
      ? 'No open finding and no rule error in any of the four packs.'
      : `${s.outcomes['non-compliant']} open finding(s) and ${s.outcomes.error} rule error(s).`
  }</p>
${table(
  [
    'Stacks',
    'Resources checked',
    'Compliant',
    'Acknowledged',
    'Non-compliant',
    'Rule errors',
    'Not applicable (summarized)',
  ],
  [
    [
      `${s.stacks}`,
      `${s.resourcesChecked}`,
      `${s.outcomes.compliant}`,
      `${s.outcomes.acknowledged}`,
      `${s.outcomes['non-compliant']}`,
      `${s.outcomes.error}`,
      `${s.notApplicable}`,
    ],
  ],
  [0, 1, 2, 3, 4, 5, 6],
)}
${table(
  ['Pack', 'Rules', 'Resources checked', 'Compliant', 'Acknowledged', 'Non-compliant', 'Rule errors', 'Not applicable'],
  packSummaryRows(s).map(([pack, ...counts]) => [e(pack), ...counts]),
  [1, 2, 3, 4, 5, 6, 7],
)}
<p class="muted">Not applicable: ${s.notApplicable} rule &times; resource pairs where a rule does not concern the resource's type or configuration (an S3 rule meeting a security group, a Lambda rule meeting a table). cdk-nag evaluates every rule on every resource, so most pairs are of this kind; they are counted per rule in the Rules section, never listed, and are neither passes nor exceptions.</p>
<div class="charts">
<figure><figcaption>Template outcomes per HIPAA section</figcaption>
${outcomeChart('Compliant, acknowledged and open outcomes per HIPAA section', hipaa, (r) => STATUS_LABELS[r.status])}
</figure>
<figure><figcaption>Template outcomes per pillar</figcaption>
${outcomeChart('Compliant, acknowledged and open outcomes per pillar', pillars, (r) => STATUS_LABELS[r.status])}
</figure>
</div>
<p>Estimated monthly cost of this deployment: <strong>$${report.cost.monthlyTotalUsd.toFixed(2)}</strong> (prices ${e(report.cost.priceTableRegion)} as of ${e(report.cost.pricesTakenOn)}; <a href="#cost">bill of materials</a>).</p>
<h3>Exceptions per owner</h3>
${table(
  ['Owner', 'Exceptions', 'Next review by'],
  s.exceptionOwners.map((o) => [e(o.owner), `${o.count}`, e(o.nextReviewBy)]),
  [1],
)}
<ul>
<li>Pillars with automated template evidence: ${list(s.automatedPillars)}</li>
<li>Pillars without template evidence (service tests or optional): ${list(s.notAutomatedPillars)}</li>
<li>Process-only pillars: ${list(s.processPillars)}</li>
<li>HIPAA sections with automated template evidence: ${list(s.automatedHipaaSections)}</li>
<li>HIPAA sections without template evidence: ${list(s.notAutomatedHipaaSections)}</li>
</ul>
<ul>${s.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>
</section>`);

  const controlHeaders = [
    'ID',
    'Control',
    'Layer',
    'Status',
    'Evidencing rules',
    'Resources checked',
    'C / A / N / E',
    'Related',
    'Note',
  ];
  parts.push(`<section id="controls">
<h2>Control matrix</h2>
<p class="muted">C / A / N / E: compliant, acknowledged, non-compliant and rule-error outcomes of the evidencing rules. Related: the pillars supporting a HIPAA section, or the sections a pillar supports.</p>
<h3>HIPAA Security Rule sections (45 CFR)</h3>
${table(controlHeaders, controlRows(hipaa), [5], [6])}
<h3>Security pillars P01-P18</h3>
${table(controlHeaders, controlRows(pillars), [5], [6])}
</section>`);

  parts.push(`<section id="process">
<h2>Process register</h2>
<p class="muted">Administrative safeguards no template can prove. The owner attaches the evidence before the report is handed over.</p>
${table(
  ['Pillar', 'Safeguard', 'HIPAA', 'Owner', 'Evidence required', 'Evidence attached (document, date, reviewer)'],
  report.processControls.map((r) => [
    `<strong>${e(r.pillar)}</strong>`,
    e(r.title),
    e(r.hipaa.join(', ')),
    e(r.owner),
    e(r.evidenceRequired),
    '<div class="slot">&nbsp;</div>',
  ]),
)}
</section>`);

  parts.push(`<section id="exceptions">
<h2>Exception register</h2>
<p class="muted">Every acknowledged finding, next review first: the rule and its severity, the resource, the reason, where it was acknowledged, its owner and its review-by date. <code>npm run gate</code> fails from the day after a review-by date.</p>
${
  report.exceptions.length === 0
    ? '<p>No acknowledged findings.</p>'
    : table(
        ['ID', 'Review by', 'Owner', 'Severity', 'Rule', 'Resource', 'Reason', 'Acknowledged at'],
        report.exceptions.map((x) => [
          `<strong>${e(x.id)}</strong>`,
          e(x.reviewBy ?? '—'),
          e(x.owner ?? '—'),
          `<span class="sev-${e(x.severity)}">${e(x.severity)}</span>`,
          `<code>${e(x.rule)}${x.finding !== null ? e(`[${x.finding}]`) : ''}</code>`,
          `<code>${e(x.resource)}</code>`,
          e(x.reason),
          `<code>${e(x.acknowledgedAt === x.resource ? '(the resource)' : x.acknowledgedAt)}</code>`,
        ]),
        [],
        [1],
        report.exceptions.map((x) => x.id),
      )
}
${
  report.otherAcknowledgements.length === 0
    ? ''
    : `<h3>Other acknowledgements</h3>
${table(
  ['Acknowledged id', 'At', 'Reason', 'Owner', 'Review by', 'Note'],
  report.otherAcknowledgements.map((x) => [
    `<code>${e(x.acknowledgedId)}</code>`,
    `<code>${e(x.acknowledgedAt)}</code>`,
    e(x.reason),
    e(x.owner ?? '—'),
    e(x.reviewBy ?? '—'),
    e(x.note),
  ]),
)}`
}
</section>`);

  parts.push(`<section id="inventory">
<h2>Resource inventory</h2>
<p class="muted">Derived from the synthesized templates. "—": the column does not apply to the resource type. Deletion policy "Delete (default)": no DeletionPolicy in the template.</p>
${report.inventory
  .map(
    (stack) => `<h3>${e(stack.stack)}</h3>
${table(
  ['Resource', 'Type', 'Encryption key', 'Logging', 'Public exposure', 'Deletion policy'],
  stack.items.map((i) => [
    `<code>${e(withinStack(i.resource, stack.stack))}</code>`,
    e(i.type),
    e(i.encryption),
    e(i.logging),
    e(i.publicExposure),
    e(i.deletionPolicy),
  ]),
)}
<p class="muted">Also in this stack: ${stack.otherResources.map((o) => `${e(o.type)} &times; ${o.count}`).join(', ') || 'nothing else'}.</p>`,
  )
  .join('\n')}
</section>`);

  parts.push(`<section id="open-findings">
<h2>Open findings</h2>
${
  open.length === 0
    ? '<p>None: every evaluated rule is compliant or acknowledged.</p>'
    : table(
        ['Status', 'Severity', 'Rule', 'Resource', 'Detail'],
        open.map((f) => [
          e(f.status),
          e(levelOf.get(f.rule) ?? 'error'),
          `<code>${e(f.rule)}${f.finding !== undefined ? e(`[${f.finding}]`) : ''}</code>`,
          `<code>${e(f.resource)}</code>`,
          e(f.error ?? ''),
        ]),
      )
}
</section>`);

  parts.push(`<section id="rules">
<h2>Rules evaluated</h2>
<p class="muted">Every rule of the four packs with its outcome counts (C / A / N / E) and the resources where it did not apply. Each rule x resource outcome is in findings.csv and compliance.json.</p>
${[...new Set(report.rules.map((r) => r.pack))]
  .map(
    (pack) => `<details><summary>${e(pack)}: ${report.rules.filter((r) => r.pack === pack).length} rules</summary>
${table(
  ['Rule', 'Level', 'Pillars', 'HIPAA', 'C / A / N / E', 'N/A', 'Checks that'],
  report.rules
    .filter((r) => r.pack === pack)
    .map((r) => [
      `<code>${e(r.rule)}</code>`,
      e(r.level),
      e(r.pillars.join(', ')),
      e(r.hipaa.join(', ')),
      counts(r.outcomes),
      `${r.notApplicable}`,
      e(r.info),
    ]),
  [5],
  [4],
)}
</details>`,
  )
  .join('\n')}
</section>`);

  parts.push(`<section id="cost">
<h2>Estimated monthly cost</h2>
<p>Total: <strong>$${report.cost.monthlyTotalUsd.toFixed(2)}</strong> per month (${e(report.cost.currency)}). Same table as <code>npm run cost</code>.</p>
${table(
  ['Item', 'Quantity', 'Unit price', 'Per month', 'Basis', ''],
  report.cost.lines.map((l) => [
    e(l.item),
    e(l.quantity),
    e(l.unitPrice),
    `$${l.monthlyUsd.toFixed(2)}`,
    e(l.basis),
    l.estimate ? 'estimate' : 'verified',
  ]),
  [3],
)}
<ul>${report.cost.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>
</section>`);

  parts.push(`<section id="signoff">
<h2>Assessor sign-off</h2>
<p class="muted">For the assessor to fill in after reviewing this report, the process register and the exception register.</p>
<table class="signoff">
<thead><tr><th>Assessor (name, organization)</th><th>Date</th><th>Conclusion and conditions</th><th>Signature</th></tr></thead>
<tbody><tr><td><div class="slot">&nbsp;</div></td><td><div class="slot">&nbsp;</div></td><td><div class="slot">&nbsp;</div></td><td><div class="slot">&nbsp;</div></td></tr></tbody>
</table>
</section>`);

  parts.push(`<section id="provenance">
<h2>Provenance</h2>
${table(
  ['Item', 'Value'],
  [
    ['Kit version', e(p.kitVersion)],
    ['Git commit', `<code>${e(p.gitCommit)}</code>`],
    ['Uncommitted changes at synth', e(String(p.gitDirty))],
    ['aws-cdk-lib', e(p.awsCdkLib)],
    ['cdk-nag', e(p.cdkNag)],
    ['Service test results', e(serviceEvidenceLine(report))],
    ['Report schema', e(report.schemaVersion)],
  ],
)}
${table(
  ['Stack', 'Template', 'SHA-256'],
  p.templates.map((t) => [e(t.stack), `<code>${e(t.file)}</code>`, `<code>${e(t.sha256)}</code>`]),
)}
</section>
</main>`);

  parts.push(`<footer>
<p>Self-contained: inline styles and SVG, no script, no external asset. Byte-identical for the same commit apart from the generated-at cell.</p>
</footer>
</body>
</html>
`);
  return parts.join('\n');
}
