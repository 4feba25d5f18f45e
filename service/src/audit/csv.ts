// CSV for audit exports: RFC 4180 (CRLF line ends, fields with a comma, quote or line break are quoted and
// their quotes doubled), and cells that a spreadsheet would run as a formula are defused with a leading
// single quote (OWASP "CSV injection"): a user agent such as `=HYPERLINK(...)` is attacker-controlled.

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  let s: string;
  if (value === null || value === undefined) s = '';
  else if (Array.isArray(value)) s = value.join(' ');
  else if (typeof value === 'object') s = JSON.stringify(value);
  else s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;
