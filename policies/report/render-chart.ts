import { ControlRow } from './model';

/** Escapes text for SVG/HTML content and attributes. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const CHART_COLOURS = { compliant: '#3f9b5a', acknowledged: '#e0a526', open: '#c7372f' } as const;

const ROW = 20;
const LABEL = 150;
const BAR = 300;
const COUNT = 160;

/**
 * One inline SVG of 100%-stacked bars: compliant, acknowledged and open (non-compliant or error) template outcomes
 * per control row, with the counts written beside each bar. Rows without outcomes say where their evidence is.
 * No script, font or image from outside, and integer geometry only, so the same rows give the same bytes.
 */
export function outcomeChart(
  title: string,
  rows: readonly ControlRow[],
  statusLabel: (r: ControlRow) => string,
): string {
  const height = ROW * rows.length + 28;
  const width = LABEL + BAR + COUNT;
  const bars = rows.map((r, i) => {
    const y = 24 + i * ROW;
    const open = r.outcomes['non-compliant'] + r.outcomes.error;
    const parts = [
      ['compliant', r.outcomes.compliant],
      ['acknowledged', r.outcomes.acknowledged],
      ['open', open],
    ] as const;
    const total = parts.reduce((n, [, v]) => n + v, 0);
    const label = `<text x="0" y="${y + 13}" class="l">${esc(r.id)}</text>`;
    if (total === 0) {
      return `${label}<rect x="${LABEL}" y="${y + 2}" width="${BAR}" height="${ROW - 6}" fill="#eef1f5"/><text x="${LABEL + 6}" y="${y + 13}" class="n">${esc(statusLabel(r))}</text>`;
    }
    let x = LABEL;
    const rects = parts
      .filter(([, v]) => v > 0)
      .map(([kind, v], k, shown) => {
        // The last segment takes the rounding remainder, so every bar is exactly BAR wide.
        const w = k === shown.length - 1 ? LABEL + BAR - x : Math.round((BAR * v) / total);
        const rect = `<rect x="${x}" y="${y + 2}" width="${w}" height="${ROW - 6}" fill="${CHART_COLOURS[kind]}"><title>${esc(`${r.id}: ${v} ${kind}`)}</title></rect>`;
        x += w;
        return rect;
      })
      .join('');
    const text = `<text x="${LABEL + BAR + 8}" y="${y + 13}" class="n">${r.outcomes.compliant} / ${r.outcomes.acknowledged} / ${open}</text>`;
    return `${label}${rects}${text}`;
  });
  const legend = (['compliant', 'acknowledged', 'open'] as const)
    .map(
      (kind, i) =>
        `<rect x="${LABEL + i * 110}" y="4" width="10" height="10" fill="${CHART_COLOURS[kind]}"/><text x="${LABEL + i * 110 + 14}" y="13" class="n">${kind}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<title>${esc(title)}</title>
<style>.l{font:600 12px system-ui,sans-serif;fill:#1d2430}.n{font:11px system-ui,sans-serif;fill:#3d4653}</style>
${legend}
${bars.join('\n')}
</svg>`;
}
