// Test entry point: starts one embedded Postgres for the whole suite, then runs every test file
// (one at a time; each file gets fresh databases on this server).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/dev/embedded-pg.js';
import { writeServiceEvidence } from './evidence-writer.js';

const requested = process.argv.slice(2);
const files = requested.length
  ? requested
  : readdirSync('test')
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => `test/${f}`);

// What every harness captured (test/capture.ts), for the DLP check that runs after the whole suite.
const captureDir = mkdtempSync(join(tmpdir(), 'hmk-test-capture-'));
// Node's usual reporter on stdout, plus one that records each test's result for the kit's report.
let runs = 0;
const reporters = () => [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./test/evidence-reporter.mjs',
  `--test-reporter-destination=${join(captureDir, `evidence-${++runs}.jsonl`)}`,
];
const run = async (args: string[], env: Record<string, string>) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=120000', ...reporters(), ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, ...env, HMK_TEST_CAPTURE_DIR: captureDir },
    },
  );
  return ((await once(child, 'exit')) as [number])[0];
};

const server = await startEmbeddedPostgres({ fast: true });
let code: number;
try {
  code = await run(files, { HMK_TEST_PG_ADMIN_URL: server.url() });
} finally {
  await server.stop();
}
// Only meaningful over the whole suite (a single file may not push or log enough).
if (code === 0 && requested.length === 0) code = await run(['test/dlp.check.ts'], {});
// Only a whole-suite run is evidence (a single file would overwrite it with a part).
if (requested.length === 0) console.log(`service evidence: ${writeServiceEvidence(captureDir, code ?? 1).file}`);
rmSync(captureDir, { recursive: true, force: true });
process.exit(code ?? 1);
