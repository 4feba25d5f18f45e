/**
 * Puts the live check next to the synthesized evidence: adds a `live` column to reports/compliance.{json,md,html}
 * when they exist, so an auditor sees, per HIPAA section and pillar, what the templates promise and what the account
 * showed at `checkedAt`. Works on the files `npm run report` wrote (no re-render): the JSON gains `live` fields
 * (an optional addition), the Markdown and HTML gain one section between markers, replaced on every run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LiveControl, LiveReport } from './output';

const BEGIN = '<!-- hipaa-kit:live:begin -->';
const END = '<!-- hipaa-kit:live:end -->';

/** The synthesized control row as compliance.json holds it (read loosely: only these fields are used). */
interface SynthesizedControl {
  readonly kind: string;
  readonly id: string;
  readonly title?: string;
  readonly status?: string;
  live?: unknown;
}

interface Row {
  readonly id: string;
  readonly title: string;
  readonly synthesized: string;
  readonly live: LiveControl | undefined;
}

/** Merges `live` into the compliance report files in `dir`; returns the files changed (none when absent). */
export function mergeLiveIntoReport(dir: string, live: LiveReport, liveFile = `live-${live.profile}.json`): string[] {
  const jsonFile = join(dir, 'compliance.json');
  if (!existsSync(jsonFile)) return [];
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  const controls: SynthesizedControl[] = Array.isArray(report.controls) ? report.controls : [];
  const byKey = new Map(live.controls.map((c) => [`${c.kind}:${c.id}`, c]));
  const rows: Row[] = controls.map((c) => ({
    id: c.id,
    title: c.title ?? '',
    synthesized: c.status ?? 'unknown',
    live: byKey.get(`${c.kind}:${c.id}`),
  }));
  for (const c of controls) {
    const l = byKey.get(`${c.kind}:${c.id}`);
    c.live = l ? { status: l.status, checks: l.checks, passed: l.passed, failed: l.failed, errors: l.errors } : null;
  }
  report.live = {
    checkedAt: live.checkedAt,
    profile: live.profile,
    account: live.account,
    region: live.region,
    verdict: live.verdict,
    counts: live.counts,
    file: liveFile,
  };
  writeFileSync(jsonFile, `${JSON.stringify(report, undefined, 2)}\n`);
  const changed = [jsonFile];

  const mdFile = join(dir, 'compliance.md');
  if (existsSync(mdFile)) {
    writeFileSync(
      mdFile,
      spliceSection(readFileSync(mdFile, 'utf8'), markdownSection(live, rows, liveFile), '## Process register'),
    );
    changed.push(mdFile);
  }
  const htmlFile = join(dir, 'compliance.html');
  if (existsSync(htmlFile)) {
    writeFileSync(
      htmlFile,
      spliceSection(
        readFileSync(htmlFile, 'utf8'),
        htmlSection(live, rows, liveFile),
        '<section id="process">',
        '</main>',
        '</body>',
      ),
    );
    changed.push(htmlFile);
  }
  return changed;
}

/** Replaces the marked section, or inserts it before the first anchor found (else at the end). */
export function spliceSection(text: string, section: string, ...anchors: string[]): string {
  const block = `${BEGIN}\n${section}\n${END}\n`;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start >= 0 && end > start) return text.slice(0, start) + block + text.slice(end + END.length).replace(/^\n/, '');
  for (const anchor of anchors) {
    const at = text.indexOf(anchor);
    if (at >= 0) return text.slice(0, at) + block + '\n' + text.slice(at);
  }
  return `${text}${text.endsWith('\n') ? '' : '\n'}\n${block}`;
}

const LIVE_LABELS: Record<LiveControl['status'], string> = {
  pass: 'Pass',
  fail: 'Fail',
  error: 'Not verifiable',
  'not-checked': 'Not checked live',
};

function heading(live: LiveReport, liveFile: string): string {
  return (
    `Deployed account ${live.account}, region ${live.region}, checked ${live.checkedAt} by \`npm run verify -- --profile ${live.profile}\`: ` +
    `**${live.verdict}** (${live.counts.pass} passed, ${live.counts.fail} failed, ${live.counts.error} not verifiable). Details: \`${liveFile}\``
  );
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function markdownSection(live: LiveReport, rows: Row[], liveFile: string): string {
  return [
    '## Synthesized and deployed, side by side',
    '',
    heading(live, liveFile),
    '',
    '| ID | Control | Synthesized | Live | Live checks | Checked at |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows
      .map((r) =>
        [
          `**${mdEscape(r.id)}**`,
          mdEscape(r.title),
          mdEscape(r.synthesized),
          r.live ? LIVE_LABELS[r.live.status] : LIVE_LABELS['not-checked'],
          r.live && r.live.checks.length > 0 ? r.live.checks.map((c) => `\`${c}\``).join(' ') : '',
          live.checkedAt,
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const LIVE_CLASSES: Record<LiveControl['status'], string> = {
  pass: 's-pass',
  fail: 's-fail',
  error: 's-pass-with-exceptions',
  'not-checked': 's-not-automated',
};

function htmlSection(live: LiveReport, rows: Row[], liveFile: string): string {
  const body = rows
    .map((r) => {
      const status = r.live?.status ?? 'not-checked';
      return (
        `<tr><td><strong>${escapeHtml(r.id)}</strong></td><td>${escapeHtml(r.title)}</td><td>${escapeHtml(r.synthesized)}</td>` +
        `<td><span class="badge ${LIVE_CLASSES[status]}">${LIVE_LABELS[status]}</span></td>` +
        `<td>${(r.live?.checks ?? []).map((c) => `<code>${escapeHtml(c)}</code>`).join(' ')}</td><td>${escapeHtml(live.checkedAt)}</td></tr>`
      );
    })
    .join('\n');
  return `<section id="live">
<h2>Synthesized and deployed, side by side</h2>
<p class="muted">Deployed account ${escapeHtml(live.account)}, region ${escapeHtml(live.region)}, checked ${escapeHtml(live.checkedAt)}: <strong>${live.verdict}</strong> (${live.counts.pass} passed, ${live.counts.fail} failed, ${live.counts.error} not verifiable). Details: <code>${escapeHtml(liveFile)}</code>.</p>
<table><thead><tr><th>ID</th><th>Control</th><th>Synthesized</th><th>Live</th><th>Live checks</th><th>Checked at</th></tr></thead>
<tbody>
${body}
</tbody></table>
</section>`;
}

/**
 * For `npm run report`, which rewrites compliance.* from the synth evidence: merges the newest live-<profile>.json in
 * `dir` whose stacks are this report's stacks, so the live column survives a report run. Returns the files changed.
 */
export function mergeStoredLive(dir: string): string[] {
  const jsonFile = join(dir, 'compliance.json');
  if (!existsSync(jsonFile)) return [];
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  const stacks = new Set<string>(
    [...(report.inventory ?? []), ...(report.provenance?.templates ?? [])].map(
      (s: { stack?: string }) => s.stack ?? '',
    ),
  );
  const candidates = readdirSync(dir)
    .filter((f) => /^live-.+\.json$/.test(f))
    .map((f) => ({ file: f, live: JSON.parse(readFileSync(join(dir, f), 'utf8')) as LiveReport }))
    .filter(({ live }) => live.stacks?.length > 0 && live.stacks.every((s) => stacks.has(s.name)))
    .sort((a, b) => b.live.checkedAt.localeCompare(a.live.checkedAt));
  return candidates.length > 0 ? mergeLiveIntoReport(dir, candidates[0].live, candidates[0].file) : [];
}
