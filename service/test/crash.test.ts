// Crash safety: the service is killed with SIGKILL under concurrent sends, then restarted. No message
// may be half-written, no acknowledged message or audit row lost, and every push still delivered.
// Also: SIGTERM drains in-flight requests before exiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { verifyAuditChain } from '../src/audit/verify.js';
import { freePort } from '../src/dev/embedded-pg.js';
import { startLocalIssuer, type LocalIssuer } from '../src/dev/local-issuer.js';
import { TEST_SERVICE_PASSWORD, freshDatabase, ownerClient } from './helpers.js';

let issuer: LocalIssuer;
let db: pg.Client;
let env: Record<string, string>;
let base: string;
let sinkFile: string;
const children: ChildProcess[] = [];

async function startChild(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  // A fresh port each time, so a previous instance that failed to stop cannot answer for this one.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env.PORT = String(port);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
    (child as ChildProcess & { stderrText?: string }).stderrText = stderr;
  });
  const end = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return child;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`service did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

before(async () => {
  issuer = await startLocalIssuer();
  const url = await freshDatabase();
  db = await ownerClient(url);
  sinkFile = join(mkdtempSync(join(tmpdir(), 'hmk-sink-')), 'pushes.jsonl');
  env = {
    PATH: process.env.PATH!,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    DB_SERVICE_PASSWORD: TEST_SERVICE_PASSWORD,
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_AUDIENCE: issuer.audience,
    LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
    PUSH_MODE: 'sink',
    PUSH_SINK_FILE: sinkFile,
    PUSH_LEASE_SECONDS: '1',
    PUSH_POLL_MS: '50',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
    DB_POOL_MAX: '10',
  };
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.end();
  await issuer.close();
  rmSync(dirname(sinkFile), { recursive: true, force: true });
});

async function setupConversation() {
  const alice = { id: randomUUID(), token: '' };
  const bob = { id: randomUUID(), token: '' };
  alice.token = issuer.mint({ sub: alice.id, username: `alice-${alice.id.slice(0, 6)}` });
  bob.token = issuer.mint({ sub: bob.id, username: `bob-${bob.id.slice(0, 6)}` });
  await call('PUT', '/v1/contacts/me', alice.token, {});
  await call('PUT', '/v1/contacts/me', bob.token, {});
  assert.equal((await call('POST', '/v1/devices', bob.token, { platform: 'fcm', token: `fcm-${bob.id}` })).status, 201);
  const conv = (await call('POST', '/v1/conversations', alice.token, { participantIds: [bob.id] })).json.id as string;
  return { alice, bob, conv };
}

test('kill -9 under concurrent sends: no half-written message, no lost audit row or push', async () => {
  // The first run's push provider is down (the sink cannot write), so every push is still pending at the crash.
  let child = await startChild({ PUSH_SINK_FILE: join(tmpdir(), randomUUID(), 'missing-dir', 'pushes.jsonl') });
  const { alice, conv } = await setupConversation();

  const acknowledged: string[] = [];
  let errors = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const r = await call('POST', `/v1/conversations/${conv}/messages`, alice.token, {
          body: `msg ${randomUUID()}`,
        });
        if (r.status === 201) acknowledged.push(r.json.id);
      } catch {
        errors += 1;
        return;
      }
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await once(child, 'exit');
  stop = true;
  await Promise.all(workers);
  assert.ok(errors > 0, 'requests were in flight when the process died');

  const pendingAtCrash = (await db.query('SELECT count(*)::int AS n FROM hmk.push_outbox WHERE delivered_at IS NULL'))
    .rows[0].n;
  assert.ok(pendingAtCrash >= acknowledged.length, 'pushes were pending when the process died');
  assert.ok(!existsSync(sinkFile), 'nothing delivered yet');
  child = await startChild();

  // Every acknowledged message survived.
  const stored = await db.query('SELECT id FROM hmk.messages WHERE id = ANY($1::uuid[])', [acknowledged]);
  assert.equal(stored.rowCount, acknowledged.length);
  // Nothing half-written: each message has its body, its audit row and its outbox row.
  const broken = await db.query(`
    SELECT m.id FROM hmk.messages m
     WHERE NOT EXISTS (SELECT 1 FROM hmk.message_bodies b WHERE b.message_id = m.id)
        OR NOT EXISTS (SELECT 1 FROM hmk.push_outbox o WHERE o.message_id = m.id)
        OR NOT EXISTS (SELECT 1 FROM hmk.audit_log a WHERE a.action = 'message.send' AND a.outcome = 'ok'
                                                    AND a.target_ids @> ARRAY[m.id::text])`);
  assert.deepEqual(broken.rows, []);
  const counts = (
    await db.query(`SELECT (SELECT count(*) FROM hmk.messages)::int AS messages,
    (SELECT count(*) FROM hmk.message_bodies)::int AS bodies,
    (SELECT count(*) FROM hmk.audit_log WHERE action = 'message.send' AND outcome = 'ok')::int AS audits`)
  ).rows[0];
  assert.equal(counts.bodies, counts.messages);
  assert.equal(counts.audits, counts.messages);

  // Pushes pending at the crash (including leased ones) are delivered after the restart.
  const end = Date.now() + 15_000;
  while ((await db.query('SELECT count(*)::int AS n FROM hmk.push_outbox WHERE delivered_at IS NULL')).rows[0].n > 0) {
    if (Date.now() > end) assert.fail('outbox not drained after restart');
    await new Promise((r) => setTimeout(r, 100));
  }
  const lines = readFileSync(sinkFile, 'utf8').trim().split('\n');
  assert.ok(
    lines.length >= counts.messages,
    `every message produced a push (${lines.length} pushes, ${counts.messages} messages)`,
  );

  // The audit chain is intact across the crash.
  const verified = await verifyAuditChain(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.problems.slice(0, 3)));

  child.kill('SIGTERM');
  await once(child, 'exit');
});

test('SIGTERM drains in-flight requests, then exits 0', async () => {
  const child = await startChild();
  const { alice, conv } = await setupConversation();
  const inflight = Array.from({ length: 30 }, (_, i) =>
    call('POST', `/v1/conversations/${conv}/messages`, alice.token, { body: `drain ${i}` }).catch(() => ({
      status: 0,
      json: null,
    })),
  );
  await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGTERM');
  const [code, signal] = await once(child, 'exit');
  const results = await Promise.all(inflight);
  assert.equal(code, 0, `exit ${code} ${signal} ${(child as ChildProcess & { stderrText?: string }).stderrText}`);
  const accepted = results.filter((r) => r.status === 201).length;
  const refused = results.filter((r) => r.status !== 201);
  // Requests already being handled finish; any that arrive after closing began are refused cleanly.
  assert.ok(accepted > 0);
  for (const r of refused) assert.ok(r.status === 503 || r.status === 0, `unexpected ${r.status}`);
  // Every message the server committed was answered: a request cut off after its commit (status 0) would show
  // here as more messages in the (fresh) conversation than 201 answers.
  const stored = (await db.query('SELECT count(*)::int AS n FROM hmk.messages WHERE conversation_id = $1', [conv]))
    .rows[0].n;
  assert.equal(stored, accepted, `${stored} messages stored, ${accepted} answered 201`);
});
