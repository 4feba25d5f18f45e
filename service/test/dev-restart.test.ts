// `npm run dev` restarts (issue 15, item 4): with HMK_DEV_DATA_DIR the database and the master key survive a kill -9
// and a restart (the stale postmaster is stopped first); without it, a killed run's temp server is cleaned up by the
// next start. Runs src/dev.ts as a child process, as `npm run dev` does.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, postmasterOf, DEV_TEMP_PREFIX } from '../src/dev/embedded-pg.js';
import { mintFromIssuerFile } from '../src/dev/local-issuer.js';

const work = mkdtempSync(join(tmpdir(), 'hmk-dev-restart-'));
chmodSync(work, 0o711); // as root, the server runs as the postgres user, which must pass through
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Starts src/dev.ts; resolves with the child and its stderr once it listens. */
async function startDev(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev.ts'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev did not start:\n${out}`)), 90_000);
    child.stderr!.on('data', (d) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`dev exited:\n${out}`)));
  });
  return { child, output: () => out };
}

const killHard = async (child: ChildProcess) => {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
};

test('HMK_DEV_DATA_DIR keeps the database and the master key across a kill -9 and a restart', async () => {
  const dataDir = join(work, 'data');
  const port = String(await freePort());
  const issuerFile = join(work, 'issuer.json');
  const env = { HMK_DEV_DATA_DIR: dataDir, PORT: port, HMK_DEV_ISSUER_FILE: issuerFile };
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, username: string, body?: unknown) => {
    const token = mintFromIssuerFile({ username, groups: ['clinician'] }, issuerFile);
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };

  const first = await startDev(env);
  assert.match(first.output(), /master key in .*master-key/, 'the start-up line says where the master key is');
  await call('PUT', '/v1/contacts/me', 'alice', {});
  const bob = (await call('PUT', '/v1/contacts/me', 'bob', {})).json.id;
  const conv = (await call('POST', '/v1/conversations', 'alice', { participantIds: [bob] })).json.id;
  assert.equal((await call('POST', `/v1/conversations/${conv}/messages`, 'alice', { body: 'kept' })).status, 201);
  await killHard(first.child);
  assert.ok(postmasterOf(join(dataDir, 'pg')) !== undefined, 'kill -9 leaves Postgres running');

  const second = await startDev(env);
  const read = await call('GET', `/v1/conversations/${conv}/messages`, 'bob');
  assert.equal(read.status, 200);
  assert.deepEqual(
    read.json.map((m: { body: string }) => m.body),
    ['kept'],
    'the message is still there and still opens',
  );
  const stopped = new Promise((r) => second.child.once('exit', r));
  second.child.kill('SIGTERM');
  await stopped;
  assert.equal(postmasterOf(join(dataDir, 'pg')), undefined, 'a clean stop stops Postgres');
  assert.ok(existsSync(join(dataDir, 'pg', 'PG_VERSION')), 'and keeps the data');
});

test('without HMK_DEV_DATA_DIR, the next start removes a killed run’s temp server; LOCAL_MASTER_KEY is named', async () => {
  const port = String(await freePort());
  const env = { PORT: port, HMK_DEV_ISSUER_FILE: join(work, 'issuer2.json') };
  const devDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith(DEV_TEMP_PREFIX)));
  const before = devDirs();
  const first = await startDev(env);
  assert.match(first.output(), /random master key for this run/);
  const mine = [...devDirs()].filter((d) => !before.has(d));
  assert.equal(mine.length, 1, 'one temp directory for the run');
  const pgDir = join(tmpdir(), mine[0], 'pg');
  await killHard(first.child);
  const stale = postmasterOf(pgDir);
  assert.ok(stale !== undefined, 'kill -9 leaves Postgres running');

  const second = await startDev({ ...env, LOCAL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
  assert.match(second.output(), /removed a stale dev server/);
  assert.match(second.output(), /master key from LOCAL_MASTER_KEY/);
  assert.equal(existsSync(join(tmpdir(), mine[0])), false, 'the stale temp directory is gone');
  assert.throws(() => process.kill(stale!, 0), 'and its Postgres stopped');
  const stopped = new Promise((r) => second.child.once('exit', r));
  second.child.kill('SIGTERM');
  await stopped;
  assert.deepEqual(
    [...devDirs()].filter((d) => !before.has(d)),
    [],
    'a clean stop leaves no temp directory',
  );
});
