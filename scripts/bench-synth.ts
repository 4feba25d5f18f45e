/**
 * Prints synth wall time and peak memory for the whole kit with the compliance packs and CDK's built-in
 * CloudFormation validation each on and off. Each variant runs in a fresh process (module loading included).
 * Usage: npm run bench:synth [-- --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 1;
const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

const variants = [
  { packs: false, validation: false },
  { packs: true, validation: false },
  { packs: false, validation: true },
  { packs: true, validation: true },
];

console.log(`synth wall time, whole kit (${runs} run(s) each, median)`);
for (const v of variants) {
  const times: number[] = [];
  let peakMiB = 0;
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(join(tmpdir(), 'kit-bench-'));
    const start = process.hrtime.bigint();
    const result = spawnSync(tsx, [join(__dirname, 'synth-variant.ts')], {
      env: { ...process.env, OUTDIR: outdir, PACKS: String(v.packs), VALIDATION: String(v.validation) },
      encoding: 'utf8',
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    rmSync(outdir, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`synth failed: ${result.stderr}`);
    peakMiB = Math.max(peakMiB, Number(result.stdout.trim().split('\n').pop()) / 1024);
  }
  times.sort((a, b) => a - b);
  const label = `packs ${v.packs ? 'on ' : 'off'}, built-in validation ${v.validation ? 'on ' : 'off'}`;
  console.log(`  ${label}: ${times[Math.floor(times.length / 2)].toFixed(1)} s, peak RSS ${peakMiB.toFixed(0)} MiB`);
}
