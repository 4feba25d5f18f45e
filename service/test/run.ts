// Test entry point: starts one embedded Postgres for the whole suite, then runs every test file
// (one at a time; each file gets fresh databases on this server).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { startEmbeddedPostgres } from '../src/dev/embedded-pg.js';

const requested = process.argv.slice(2);
const files = requested.length
  ? requested
  : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`);

const server = await startEmbeddedPostgres({ fast: true });
let code = 1;
try {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=120000', ...files], {
    stdio: 'inherit',
    env: { ...process.env, HMK_TEST_PG_ADMIN_URL: server.url() },
  });
  [code] = (await once(child, 'exit')) as [number];
} finally {
  await server.stop();
}
process.exit(code ?? 1);
