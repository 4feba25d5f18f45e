// Audit trail: one row per request, hash-chained, append-only, and the verifier catches tampering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { verifyAuditChain } from '../src/audit/verify.js';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser, bob: TestUser;
let conv: string;

before(async () => {
  h = await createHarness({ TRUST_PROXY: '127.0.0.1' });
  alice = await h.user('alice');
  bob = await h.user('bob');
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  // Several connections in parallel, so rows land on several chains.
  await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      h.request('POST', `/v1/conversations/${conv}/messages`, {
        token: i % 2 ? alice.token : bob.token,
        body: { body: `m${i}` },
      }),
    ),
  );
  await h.request('GET', '/v1/session', { token: 'not-a-token' });
});
after(() => h.close());

test('every request left a row with actor, action, targets, time, source IP, user agent and outcome', async () => {
  const db = await h.owner();
  const r = await h.request('GET', `/v1/conversations/${conv}/messages?limit=5`, {
    token: bob.token,
    headers: { 'user-agent': 'audit-test/1.0 ✓', 'x-forwarded-for': '203.0.113.7' },
  });
  assert.equal(r.status, 200);
  const { rows } = await db.query("SELECT * FROM hmk.audit_log WHERE action = 'message.read' ORDER BY id DESC LIMIT 1");
  const row = rows[0];
  assert.equal(row.actor_id, bob.id);
  assert.equal(row.outcome, 'ok');
  assert.equal(row.status, 200);
  assert.equal(row.user_agent, 'audit-test/1.0 ✓');
  assert.equal(row.source_ip, '203.0.113.7', 'X-Forwarded-For honoured from the trusted proxy');
  assert.ok(row.target_ids.includes(conv));
  assert.ok(Date.now() - row.at.getTime() < 60_000);
  const sends = await db.query(
    "SELECT count(*)::int AS n FROM hmk.audit_log WHERE action = 'message.send' AND outcome = 'ok'",
  );
  assert.equal(sends.rows[0].n, 30);
  const refused = await db.query("SELECT * FROM hmk.audit_log WHERE action = 'session.read' AND status = 401");
  assert.equal(refused.rows.length, 1, 'a refused sign-in is audited');
  assert.equal(refused.rows[0].actor_id, null);
  const chains = await db.query('SELECT count(DISTINCT chain)::int AS n FROM hmk.audit_log');
  assert.ok(chains.rows[0].n >= 2, 'rows were spread over several chains');
});

test('the chain verifies clean', async () => {
  const result = await verifyAuditChain(await h.owner());
  assert.equal(result.ok, true, JSON.stringify(result.problems));
  assert.ok(result.rows > 30);
});

test('the verify command exits 0 on a clean chain', () => {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/verify-audit.ts'], {
    env: { PATH: process.env.PATH, DATABASE_URL: h.dbUrl },
    encoding: 'utf8',
  });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stderr, /audit chain OK/);
});

test('verification under live traffic reads one snapshot: concurrent sends never look like tampering', async () => {
  const db = await h.owner();
  const sends = Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      h.request('POST', `/v1/conversations/${conv}/messages`, { token: alice.token, body: { body: `live${i}` } }),
    ),
  );
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await verifyAuditChain(db));
  await sends;
  for (const r of results) assert.equal(r.ok, true, JSON.stringify(r.problems));
});

test('a row forged into a chain with no head is reported', async () => {
  const db = await h.owner();
  await db.query('ALTER TABLE hmk.audit_log DISABLE TRIGGER USER');
  try {
    await db.query(`INSERT INTO hmk.audit_log (chain, seq, at, action, outcome, status, request_id, prev_hash, hash)
                    VALUES (9999, 1, now(), 'forged', 'ok', 200, 'forged', '\\x00', '\\x00')`);
    const result = await verifyAuditChain(db);
    assert.ok(
      result.problems.some((p) => p.chain === 9999 && /no known chain/.test(p.reason)),
      JSON.stringify(result.problems),
    );
  } finally {
    await db.query("DELETE FROM hmk.audit_log WHERE action = 'forged'");
    await db.query('ALTER TABLE hmk.audit_log ENABLE TRIGGER USER');
  }
});

test('junk X-Forwarded-For from the trusted proxy or a NUL in the user agent never costs an audit row', async () => {
  const db = await h.owner();
  // Requests audited: a refusal without credentials may be counted in a later summary row (detail.count).
  const count = async () => {
    await h.service.refusals.flush(true);
    const sql = "SELECT sum(coalesce((detail->>'count')::int, 1))::int AS n FROM hmk.audit_log";
    return (await db.query(sql)).rows[0].n as number;
  };
  const before = await count();
  const refused = await h.request('GET', '/v1/session', {
    token: 'not-a-jwt',
    headers: { 'x-forwarded-for': 'not-an-ip' },
  });
  assert.equal(refused.status, 401);
  const ok = await h.request('GET', '/v1/session', {
    token: alice.token,
    headers: { 'x-forwarded-for': 'not-an-ip', 'user-agent': 'agent\u0000with-nul' },
  });
  assert.equal(ok.status, 200);
  assert.equal(await count(), before + 2, 'both requests, the refused sign-in included, are audited');
  const { rows } = await db.query(
    "SELECT source_ip::text, user_agent FROM hmk.audit_log WHERE action = 'session.read' ORDER BY id DESC LIMIT 1",
  );
  assert.equal(rows[0].user_agent, 'agentwith-nul');
  assert.ok(rows[0].source_ip?.startsWith('127.0.0.1'), rows[0].source_ip);
});

test('tampering by the owner (triggers disabled) is detected: edited, deleted and truncated rows', async () => {
  const db = await h.owner();
  await db.query('ALTER TABLE hmk.audit_log DISABLE TRIGGER USER');
  try {
    const {
      rows: [victim],
    } = await db.query("SELECT id, chain, seq FROM hmk.audit_log WHERE action = 'message.send' ORDER BY id LIMIT 1");
    await db.query("UPDATE hmk.audit_log SET outcome = 'denied' WHERE id = $1", [victim.id]);
    let result = await verifyAuditChain(db);
    assert.equal(result.ok, false);
    assert.ok(
      result.problems.some((p) => p.id === victim.id && /hash/.test(p.reason)),
      JSON.stringify(result.problems),
    );

    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/verify-audit.ts'], {
      env: { PATH: process.env.PATH, DATABASE_URL: h.dbUrl },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 1, 'the command fails on a tampered chain');
    assert.match(cli.stderr, /BROKEN/);

    await db.query("UPDATE hmk.audit_log SET outcome = 'ok' WHERE id = $1", [victim.id]);
    assert.equal((await verifyAuditChain(db)).ok, true, 'restoring the value restores the hash');

    const {
      rows: [middle],
    } = await db.query(
      `SELECT id, chain, seq FROM hmk.audit_log
        WHERE seq = 2 AND chain IN (SELECT chain FROM hmk.audit_log GROUP BY chain HAVING max(seq) >= 3)
        ORDER BY chain LIMIT 1`,
    );
    await db.query('DELETE FROM hmk.audit_log WHERE id = $1', [middle.id]);
    result = await verifyAuditChain(db);
    assert.equal(result.ok, false);
    assert.ok(result.problems.some((p) => p.chain === middle.chain && /gap|prev_hash/.test(p.reason)));

    const {
      rows: [tail],
    } = await db.query('SELECT chain, max(seq) AS seq FROM hmk.audit_log GROUP BY chain ORDER BY chain LIMIT 1');
    await db.query('DELETE FROM hmk.audit_log WHERE chain = $1 AND seq = $2', [tail.chain, tail.seq]);
    result = await verifyAuditChain(db);
    assert.ok(
      result.problems.some((p) => p.chain === tail.chain && /head/.test(p.reason)),
      'removing the last row is caught by the head',
    );
  } finally {
    await db.query('ALTER TABLE hmk.audit_log ENABLE TRIGGER USER');
  }
});
