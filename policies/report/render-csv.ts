import { ComplianceReport } from './model';

export const FINDINGS_CSV_COLUMNS = [
  'pack',
  'rule',
  'finding',
  'status',
  'stack',
  'resource',
  'logical_id',
  'resource_type',
  'acknowledged_id',
  'acknowledged_at',
  'reason',
  'owner',
  'review_by',
  'error',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading formula character is defused. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row per rule x resource outcome (not-applicable results are counted in compliance.json, not listed). */
export function renderFindingsCsv(report: ComplianceReport): string {
  const rows = report.findings.map((f) =>
    [
      f.pack,
      f.rule,
      f.finding ?? '',
      f.status,
      f.stack,
      f.resource,
      f.logicalId,
      f.resourceType,
      f.acknowledgement?.id ?? '',
      f.acknowledgement?.at ?? '',
      f.acknowledgement?.reason ?? '',
      f.acknowledgement?.owner ?? '',
      f.acknowledgement?.reviewBy ?? '',
      f.error ?? '',
    ]
      .map(csvField)
      .join(','),
  );
  return `${[FINDINGS_CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
