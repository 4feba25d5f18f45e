// DLP over the whole suite (pillar P16): run by test/run.ts after every other test file, on what
// test/capture.ts recorded. No message text, reason, name, MRN, key or device token submitted by any
// test may appear in any log line, push payload or ops notice the service produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.HMK_TEST_CAPTURE_DIR;

function read(kind: string): string[] {
  if (!dir) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${kind}-`))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string),
    );
}

test('no submitted PHI or secret appears in any log line, push or notice of the whole suite', () => {
  assert.ok(dir, 'HMK_TEST_CAPTURE_DIR is set (run through test/run.ts)');
  const submitted = [...new Set(read('submitted'))];
  const emitted = { logs: read('logs'), pushes: read('pushes'), notices: read('notices') };
  // The check must have something to check, or it proves nothing.
  assert.ok(submitted.length >= 20, `captured ${submitted.length} submitted texts`);
  assert.ok(emitted.logs.length >= 100, `captured ${emitted.logs.length} log lines`);
  assert.ok(emitted.pushes.length >= 1, `captured ${emitted.pushes.length} pushes`);
  assert.ok(emitted.notices.length >= 1, `captured ${emitted.notices.length} break-glass notices`);

  const leaks: string[] = [];
  for (const [kind, lines] of Object.entries(emitted)) {
    const all = lines.join('\n');
    for (const s of submitted) {
      if (all.includes(s)) leaks.push(`${kind}: ${JSON.stringify(s.slice(0, 40))}`);
    }
  }
  process.stdout.write(
    `# DLP: ${submitted.length} submitted texts checked against ${emitted.logs.length} log lines, ` +
      `${emitted.pushes.length} pushes, ${emitted.notices.length} notices\n`,
  );
  assert.deepEqual(leaks, []);
});
