// Runs the concurrent retention test N times in a row (default 50), each on a fresh embedded Postgres, and
// prints how many passed. The race it guards (retention deleting outbox rows while the push dispatcher marks
// them) showed up in about one full test run in five; a single pass proves little, fifty in a row do.
// Usage: npm --prefix service run stress:retention [-- <runs>]
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 50);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`runs must be a whole number of at least 1 (got ${process.argv[2]})`);
  process.exit(2);
}
const pattern = 'two jobs running at once delete each message once and never fail';
let failed = 0;
const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/run.ts', `--test-name-pattern=${pattern}`, 'test/retention.test.ts'],
    {
      encoding: 'utf8',
    },
  );
  const ok = r.status === 0 && /^# pass 1$/m.test(r.stdout);
  if (!ok) {
    failed++;
    const why = /error: '([^']+)'/.exec(r.stdout)?.[1] ?? `exit ${r.status}`;
    console.log(`run ${i}: FAIL (${why})`);
  } else {
    console.log(`run ${i}: ok`);
  }
}
console.log(`${runs - failed} of ${runs} runs passed in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(failed ? 1 : 0);
