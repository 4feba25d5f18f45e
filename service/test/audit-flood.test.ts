// Audit flooding without credentials (issue 15, item 1): junk-token requests and unknown /v1 paths are counted by the
// per-address rate limit before authentication, and repeated refusals from one source are aggregated into one audit
// row per source per window (the first refusal is still written at once). Prints the audit-row growth it measures.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from './helpers.js';

const PER_ADDRESS = 200;
let h: Harness;
before(async () => {
  h = await createHarness({
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS),
    RATE_LIMIT_PER_MINUTE: String(PER_ADDRESS),
    AUDIT_REFUSAL_WINDOW_SECONDS: '60',
  });
});
after(() => h.close());

const auditRows = async () => {
  const db = await h.owner();
  return (await db.query('SELECT count(*)::int AS n FROM hmk.audit_log')).rows[0].n as number;
};

/** Sends `n` requests from one address; returns the status counts, the audit rows written and the elapsed time. */
async function flood(n: number, send: (i: number) => Promise<number>) {
  const before = await auditRows();
  const started = Date.now();
  const statuses: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const s = await send(i);
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const seconds = (Date.now() - started) / 1000;
  const rows = (await auditRows()) - before;
  return { statuses, rows, seconds, rowsPerSecond: Math.round(rows / seconds) };
}

test('1,000 junk-token requests write a bounded number of audit rows, and a 429 arrives', async (t) => {
  const r = await flood(1000, async () => (await h.request('GET', '/v1/session', { token: 'junk.junk.junk' })).status);
  t.diagnostic(`junk token x1000: ${JSON.stringify(r)}`);
  assert.ok(r.statuses[429] > 0, 'the per-address limit refuses junk-token traffic');
  assert.equal(r.statuses[401], PER_ADDRESS, 'exactly the allowance is answered 401 before the limit');
  assert.ok(r.rows <= 4, `audit rows written: ${r.rows}`);
});

test('unknown /v1 paths from a fresh address are counted and aggregated too', async (t) => {
  const from = '198.51.100.7';
  const r = await flood(
    1000,
    async (i) => (await h.service.app.inject({ method: 'GET', url: `/v1/nope/${i}`, remoteAddress: from })).statusCode,
  );
  t.diagnostic(`unknown path x1000: ${JSON.stringify(r)}`);
  assert.ok(r.statuses[429] > 0, 'unknown paths count against the address');
  assert.ok(r.rows <= 4, `audit rows written: ${r.rows}`);
  const db = await h.owner();
  const first = await db.query(
    'SELECT action, status, detail FROM hmk.audit_log WHERE source_ip = $1 AND detail IS NULL ORDER BY id',
    [from],
  );
  assert.deepEqual(
    first.rows.map((x) => x.status).sort(),
    [404, 429],
    'the first refusal of each kind is recorded at once',
  );
});

test('repeated refusals are summed into one row per source and status when the window closes', async () => {
  const from = '198.51.100.8';
  const send = () => h.service.app.inject({ method: 'GET', url: '/v1/session', remoteAddress: from });
  for (let i = 0; i < 25; i++) await send();
  await h.service.refusals.flush(true);
  const db = await h.owner();
  const { rows } = await db.query(
    'SELECT action, status, outcome, actor_id, detail FROM hmk.audit_log WHERE source_ip = $1 ORDER BY id',
    [from],
  );
  assert.equal(rows.length, 2, 'the first refusal, then one summary');
  assert.equal(rows[0].detail, null);
  assert.equal(rows[1].action, 'request.refused.repeated');
  assert.equal(rows[1].status, 401);
  assert.equal(rows[1].actor_id, null);
  assert.equal(rows[1].detail.count, 24, 'the summary counts every refusal after the first');
});

test('a signed-in user over the limit gets 429s, and the refusals are aggregated per user', async (t) => {
  const limited = await createHarness({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000' });
  try {
    const alice = await limited.user('alice');
    const db = await limited.owner();
    const count = async () =>
      (await db.query('SELECT count(*)::int AS n FROM hmk.audit_log WHERE status = 429')).rows[0].n;
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++)
      statuses.push((await limited.request('GET', '/v1/session', { token: alice.token })).status);
    const refused = statuses.filter((s) => s === 429).length;
    t.diagnostic(
      `valid token, 200 requests over a limit of 5/min: ${refused} x 429, ${await count()} audit rows with 429`,
    );
    assert.ok(refused >= 190);
    assert.equal(await count(), 1, 'one row at once; the rest wait for the window summary');
    await limited.service.refusals.flush(true);
    const summary = await db.query(
      "SELECT actor_id, detail FROM hmk.audit_log WHERE action = 'request.refused.repeated'",
    );
    assert.equal(summary.rows.length, 1);
    assert.equal(summary.rows[0].actor_id, alice.id, 'the summary names the user');
    assert.equal(summary.rows[0].detail.count, refused - 1);
  } finally {
    await limited.close();
  }
});
