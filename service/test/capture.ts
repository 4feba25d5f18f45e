// Suite-wide capture for the DLP check (pillar P16): every harness records the free text its requests
// submitted (message bodies, reasons, names, MRNs...) and, when it closes, everything the service let
// out of the process (log lines, push payloads, ops notices). test/dlp.check.ts, run by test/run.ts
// after all test files, asserts that no submitted text ever appears in what left.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Request fields whose values are PHI or secrets and must never leave through logs, pushes or notices. */
const SENSITIVE_KEYS = new Set(['body', 'reason', 'displayName', 'mrn', 'dateOfBirth', 'publicKey', 'token', 'name']);
/** Short values (e.g. "hi") could appear in a log line by coincidence; they prove nothing either way. */
const MIN_LENGTH = 10;

const dir = process.env.HMK_TEST_CAPTURE_DIR;
const file = (kind: string) => join(dir!, `${kind}-${process.pid}.jsonl`);

function collect(value: unknown, key: string | undefined, out: string[]): void {
  if (typeof value === 'string') {
    if (key !== undefined && SENSITIVE_KEYS.has(key) && value.length >= MIN_LENGTH) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, key, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collect(v, k, out);
  }
}

/** Notes the sensitive texts of one request body. */
export function captureSubmitted(body: unknown): void {
  if (!dir || body === undefined) return;
  const texts: string[] = [];
  collect(body, undefined, texts);
  if (texts.length) appendFileSync(file('submitted'), texts.map((t) => `${JSON.stringify(t)}\n`).join(''));
}

/** Writes what left the process: log lines, push payloads, notices. */
export function captureEmitted(kind: 'logs' | 'pushes' | 'notices', lines: string[]): void {
  if (!dir || lines.length === 0) return;
  appendFileSync(file(kind), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}
