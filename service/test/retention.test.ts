// Retention: the job deletes exactly what has expired (messages, bodies, outbox rows, attachments and their
// objects) with count-only audit rows; per-conversation shorter retention; legal holds pause deletion and
// shredding; admin-only endpoints (403 otherwise, and enforced in Postgres); concurrent jobs; crash safety of
// object deletion; and crypto-shredding: a body copied before the shred (a backup) can no longer be opened.
// Old data is made with the owner connection: messages are sealed for their (old) key period and inserted
// with a backdated created_at, so the key period and the age agree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import type pg from 'pg';
import { LocalAttachmentStore } from '../src/attachments/local.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { Envelope, KeyDestroyedError } from '../src/crypto/envelope.js';
import { periodOf } from '../src/crypto/key-store.js';
import { APP_ROLE, RETENTION_ROLE, createRolePool } from '../src/db/pool.js';
import { RetentionJob } from '../src/retention/job.js';
import { createHarness, type Harness, type TestUser } from './helpers.js';

const DAY = 86_400_000;
const limits = { maxAgeMs: 60_000, maxUses: 10_000, maxEntries: 1000 };
const quiet = pino({ level: 'silent' });

let h: Harness;
let db: pg.Client;
let attachmentDir: string;
let objects: LocalAttachmentStore;
let admin: TestUser;

before(async () => {
  attachmentDir = mkdtempSync(join(tmpdir(), 'hmk-retention-'));
  h = await createHarness({ RETENTION_JOB: 'false', RETENTION_DAYS: '30', ATTACHMENTS_DIR: attachmentDir });
  db = await h.owner();
  objects = new LocalAttachmentStore(attachmentDir, 60);
  admin = await h.user('admin', { groups: ['admin'] });
});
after(async () => {
  await h.close();
  rmSync(attachmentDir, { recursive: true, force: true });
});

/** Fresh users for each test: 1:1 conversations are one per pair, and a user hold covers all of a user's. */
async function users(n: number): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i++) out.push(await h.user());
  return out;
}

const req = (u: TestUser, method: string, url: string, body?: unknown) =>
  h.request(method, url, { token: u.token, body });

async function conversation(a: TestUser, b: TestUser): Promise<string> {
  const r = await req(a, 'POST', '/v1/conversations', { participantIds: [b.id] });
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.json));
  return r.json.id;
}

async function send(u: TestUser, conv: string, body: string): Promise<string> {
  const r = await req(u, 'POST', `/v1/conversations/${conv}/messages`, { body });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.id;
}

/** A message `ageDays` old, sealed under its conversation's key of that (old) period, with its outbox row. */
async function oldMessage(conv: string, from: TestUser, to: TestUser, text: string, ageDays: number): Promise<string> {
  const at = Date.now() - ageDays * DAY;
  const sealed = await new Envelope(h.keyring, limits, () => at, h.service.keyStore).seal(conv, text);
  const id = randomUUID();
  await db.query('INSERT INTO hmk.messages (id, conversation_id, sender_id, created_at) VALUES ($1, $2, $3, $4)', [
    id,
    conv,
    from.id,
    new Date(at),
  ]);
  await db.query(
    `INSERT INTO hmk.message_bodies (message_id, conversation_id, scheme, key_id, encrypted_key, iv, ciphertext)
                  VALUES ($1, $2, 'kms-envelope', $3, $4, $5, $6)`,
    [id, conv, sealed.keyId, sealed.encryptedKey, sealed.iv, sealed.ciphertext],
  );
  await db.query(
    'INSERT INTO hmk.push_outbox (message_id, conversation_id, recipient_id, created_at) VALUES ($1, $2, $3, $4)',
    [id, conv, to.id, new Date(at)],
  );
  return id;
}

/** An uploaded attachment of a message: its row and its stored object. */
async function attachment(conv: string, message: string, uploader: TestUser): Promise<string> {
  const id = randomUUID();
  const key = `attachments/${conv}/${id}`;
  await db.query(
    `INSERT INTO hmk.attachments (id, conversation_id, message_id, uploader_id, object_key, content_type, size_bytes, status, completed_at)
                  VALUES ($1, $2, $3, $4, $5, 'application/pdf', 3, 'ready', now())`,
    [id, conv, message, uploader.id, key],
  );
  const path = join(attachmentDir, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'pdf');
  writeFileSync(`${path}.type`, 'application/pdf');
  return key;
}

async function messageIds(conv: string): Promise<string[]> {
  return (await db.query('SELECT id FROM hmk.messages WHERE conversation_id = $1 ORDER BY id', [conv])).rows.map(
    (r) => r.id,
  );
}

async function count(sql: string, params: unknown[]): Promise<number> {
  return (await db.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
}

/** Makes every queued object key look queued `age` ago (objects wait hmk.object_grace(), 6 minutes). */
async function ageQueue(age = '10 minutes'): Promise<void> {
  await db.query('UPDATE hmk.pending_object_deletions SET queued_at = now() - $1::interval', [age]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until some session waits for the legal-hold lock (shared: a retention batch), or fails after 5 s. */
async function batchWaitsForHold(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await holdLocks('ShareLock', false))) {
    if (Date.now() > deadline) assert.fail('no retention batch waited for the hold being placed');
    await sleep(20);
  }
}

/** Sessions of this database holding (granted) or waiting for the legal-hold advisory lock in `mode`. */
async function holdLocks(mode: 'ShareLock' | 'ExclusiveLock', granted: boolean): Promise<number> {
  return count(
    `pg_locks l WHERE l.locktype = 'advisory' AND l.mode = $1 AND l.granted = $2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND ((l.classid::bigint << 32) | l.objid::bigint) = 7314225010`,
    [mode, granted],
  );
}

async function auditRows(action: string, target: string) {
  return (
    await db.query('SELECT * FROM hmk.audit_log WHERE action = $1 AND $2 = ANY (target_ids) ORDER BY id', [
      action,
      target,
    ])
  ).rows;
}

test('expiry deletes exactly the expired messages, bodies, outbox rows and attachments, with count-only audit rows', async () => {
  const [alice, bob, carol] = await users(3);
  const c1 = await conversation(alice, bob);
  const c2 = await conversation(alice, carol);
  const old1 = await oldMessage(c1, alice, bob, 'old one: expiry-marker-1', 40);
  const old2 = await oldMessage(c1, bob, alice, 'old two: expiry-marker-2', 35);
  const young = await oldMessage(c1, alice, bob, 'not yet expired', 29);
  const fresh = await send(alice, c1, 'sent just now');
  const old3 = await oldMessage(c2, carol, alice, 'old three: expiry-marker-3', 45);
  const keep3 = await send(carol, c2, 'recent in c2');
  const key1 = await attachment(c1, old1, alice);
  const keepKey = await attachment(c1, fresh, alice);
  assert.ok(await objects.head(key1));
  // Before the run the expired messages are readable as usual.
  assert.equal((await req(bob, 'GET', `/v1/conversations/${c1}/messages`)).json.length, 4);

  const summary = await h.service.retention.runOnce();
  assert.equal(summary.messages, 3);
  assert.equal(summary.attachments, 1);
  assert.equal(summary.objectsDeleted, 0, 'the object waits until no upload URL for it can still be used');

  assert.deepEqual(await messageIds(c1), [young, fresh].sort());
  assert.deepEqual(await messageIds(c2), [keep3]);
  const gone = [old1, old2, old3];
  assert.equal(await count('hmk.message_bodies WHERE message_id = ANY ($1)', [gone]), 0);
  assert.equal(await count('hmk.push_outbox WHERE message_id = ANY ($1)', [gone]), 0);
  assert.equal(await count('hmk.attachments WHERE message_id = ANY ($1)', [gone]), 0);
  assert.equal(await count('hmk.message_bodies WHERE message_id = ANY ($1)', [[young, fresh, keep3]]), 3);
  assert.equal(await count('hmk.push_outbox WHERE message_id = ANY ($1)', [[young, fresh, keep3]]), 3);
  assert.ok(await objects.head(key1), 'queued, not deleted yet');
  assert.equal(await count('hmk.pending_object_deletions WHERE object_key = $1', [key1]), 1);
  await ageQueue();
  assert.equal((await h.service.retention.runOnce()).objectsDeleted, 1);
  assert.equal(await objects.head(key1), undefined, 'the object is gone');
  assert.ok(await objects.head(keepKey), 'the kept message keeps its object');
  assert.equal(await count('hmk.pending_object_deletions', []), 0);
  const read = await req(bob, 'GET', `/v1/conversations/${c1}/messages`);
  assert.deepEqual(
    read.json.map((m: { body: string }) => m.body),
    ['sent just now', 'not yet expired'],
  );

  // One audit row per conversation: the system (no actor), counts only.
  const a1 = await auditRows('retention.delete', c1);
  const a2 = await auditRows('retention.delete', c2);
  assert.equal(a1.length, 1);
  assert.equal(a2.length, 1);
  assert.deepEqual(a1[0].detail, { messages: 2, attachments: 1, keysDestroyed: 0 });
  assert.deepEqual(a2[0].detail, { messages: 1, attachments: 0, keysDestroyed: 0 });
  assert.equal(a1[0].actor_id, null);
  assert.deepEqual(a1[0].target_ids, [c1]);
  const leaked = await count("hmk.audit_log WHERE row_to_json(audit_log)::text LIKE '%expiry-marker%'", []);
  assert.equal(leaked, 0, 'no contents in the audit trail');
  assert.ok(!h.logs.join('').includes('expiry-marker'), 'no contents in the logs');

  // Nothing more to do: no rows, no audit rows.
  assert.deepEqual(await h.service.retention.runOnce(), {
    messages: 0,
    attachments: 0,
    objectsDeleted: 0,
    keysDestroyed: 0,
  });
  assert.equal((await auditRows('retention.delete', c1)).length, 1);
  const chain = await verifyAuditChain(await h.owner());
  assert.equal(chain.ok, true, JSON.stringify(chain.problems));
});

test('a conversation may keep messages for fewer days; a longer value is refused naming body.days', async () => {
  const [bob, carol, dave] = await users(3);
  const short = await conversation(bob, carol);
  const other = await conversation(bob, dave);
  const url = `/v1/conversations/${short}/retention`;
  for (const days of [30, 45]) {
    const r = await req(admin, 'PUT', url, { days });
    assert.equal(r.status, 400, `days ${days}`);
    assert.match(r.json.message, /body\.days must be shorter than the organisation retention of 30 days/);
  }
  assert.equal((await req(admin, 'PUT', url, { days: 0 })).status, 400);
  assert.match((await req(admin, 'PUT', url, { days: '7' })).json.message, /body\.days/);
  assert.equal((await req(admin, 'PUT', url, {})).status, 400);
  const unknown = await req(admin, 'PUT', `/v1/conversations/${randomUUID()}/retention`, { days: 7 });
  assert.equal(unknown.status, 404);

  const set = await req(admin, 'PUT', url, { days: 10 });
  assert.equal(set.status, 200);
  assert.deepEqual(
    set.json,
    { conversationId: short, days: 10, effectiveDays: 10 },
    'only the setting, nothing about the conversation',
  );
  const audit = await auditRows('conversation.retention.update', short);
  assert.deepEqual(
    audit.map((a) => [a.status, a.actor_id]),
    [
      [400, admin.id],
      [400, admin.id],
      [400, admin.id],
      [400, admin.id],
      [400, admin.id],
      [200, admin.id],
    ],
  );

  const expired = await oldMessage(short, bob, carol, 'twelve days old', 12);
  const kept = await oldMessage(short, bob, carol, 'eight days old', 8);
  const elsewhere = await oldMessage(other, bob, dave, 'twelve days old too', 12);
  const summary = await h.service.retention.runOnce();
  assert.equal(summary.messages, 1);
  assert.deepEqual(await messageIds(short), [kept]);
  assert.ok((await messageIds(other)).includes(elsewhere));
  assert.ok(!(await messageIds(short)).includes(expired));

  const cleared = await req(admin, 'PUT', url, { days: null });
  assert.deepEqual(cleared.json, { conversationId: short, days: null, effectiveDays: 30 });
  await oldMessage(short, bob, carol, 'twelve days, after clearing', 12);
  assert.equal((await h.service.retention.runOnce()).messages, 0);
});

test('legal holds on a conversation and on a user pause deletion; release resumes it; both are audited', async () => {
  const [alice, bob, carol, dave] = await users(4);
  const held = await conversation(alice, dave); // held directly
  const viaUser = await conversation(carol, bob); // held because bob is
  const free = await conversation(carol, dave);
  const m1 = await oldMessage(held, alice, dave, 'held message one', 50);
  const m2 = await oldMessage(viaUser, carol, bob, 'held through bob', 50);
  await oldMessage(free, carol, dave, 'nobody holds this', 50);
  const reason = 'litigation hold: case hold-marker-77';

  const hc = await req(admin, 'POST', '/v1/legal-holds', { conversationId: held, reason });
  assert.equal(hc.status, 201, JSON.stringify(hc.json));
  assert.equal(hc.json.conversationId, held);
  assert.equal(hc.json.userId, null);
  assert.equal(hc.json.active, true);
  assert.equal(hc.json.placedBy, admin.id);
  const hu = await req(admin, 'POST', '/v1/legal-holds', { userId: bob.id, reason });
  assert.equal(hu.status, 201);

  // Bad holds name the field.
  const both = await req(admin, 'POST', '/v1/legal-holds', { conversationId: held, userId: bob.id, reason });
  assert.equal(both.status, 400);
  assert.match(both.json.message, /exactly one of conversationId or userId/);
  assert.equal((await req(admin, 'POST', '/v1/legal-holds', { reason })).status, 400);
  assert.match(
    (await req(admin, 'POST', '/v1/legal-holds', { userId: bob.id, reason: 'short' })).json.message,
    /body\.reason/,
  );
  assert.match(
    (await req(admin, 'POST', '/v1/legal-holds', { userId: bob.id, reason: '          x' })).json.message,
    /body\.reason/,
  );
  assert.equal((await req(admin, 'POST', '/v1/legal-holds', { conversationId: randomUUID(), reason })).status, 404);
  assert.equal((await req(admin, 'POST', '/v1/legal-holds', { userId: randomUUID(), reason })).status, 404);

  const s1 = await h.service.retention.runOnce();
  assert.equal(s1.messages, 1, 'only the conversation nobody holds');
  assert.deepEqual(await messageIds(held), [m1]);
  assert.deepEqual(await messageIds(viaUser), [m2]);
  assert.deepEqual(await messageIds(free), []);

  const list = await req(admin, 'GET', '/v1/legal-holds?active=true');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.map((x: { id: string }) => x.id).sort(), [hc.json.id, hu.json.id].sort());
  assert.ok(
    list.json.every((x: object) => !('reason' in x) && !('releaseReason' in x)),
    'lists carry no reasons (they may hold PHI)',
  );
  const one = await req(admin, 'GET', `/v1/legal-holds/${hc.json.id}`);
  assert.equal(one.json.reason, reason, 'the single, audited read shows the reason');
  assert.deepEqual((await auditRows('legal_hold.read', hc.json.id))[0].severity, 'high');

  const rel = await req(admin, 'POST', `/v1/legal-holds/${hc.json.id}/release`, {
    reason: 'case settled, hold lifted',
  });
  assert.equal(rel.status, 200);
  assert.equal(rel.json.active, false);
  assert.equal(rel.json.releasedBy, admin.id);
  assert.equal(
    (await req(admin, 'POST', `/v1/legal-holds/${hc.json.id}/release`, { reason: 'case settled, hold lifted' })).status,
    409,
  );
  assert.equal(
    (await req(admin, 'POST', `/v1/legal-holds/${randomUUID()}/release`, { reason: 'case settled, hold lifted' }))
      .status,
    404,
  );
  assert.match(
    (await req(admin, 'POST', `/v1/legal-holds/${hu.json.id}/release`, { reason: 'no' })).json.message,
    /body\.reason/,
  );

  assert.equal((await h.service.retention.runOnce()).messages, 1);
  assert.deepEqual(await messageIds(held), []);
  assert.deepEqual(await messageIds(viaUser), [m2], 'the user hold still applies');
  assert.equal(
    (await req(admin, 'POST', `/v1/legal-holds/${hu.json.id}/release`, { reason: 'custodian released' })).status,
    200,
  );
  assert.equal((await h.service.retention.runOnce()).messages, 1);
  assert.deepEqual(await messageIds(viaUser), []);

  // Placing and releasing are high-severity audit rows with ids only, never the reason.
  const placed = await auditRows('legal_hold.place', hc.json.id);
  const released = await auditRows('legal_hold.release', hc.json.id);
  assert.equal(placed.length, 1);
  assert.deepEqual(
    released.map((a) => a.status),
    [200, 409],
    'the refused second release is audited too',
  );
  assert.deepEqual(
    [placed[0].severity, placed[0].actor_id, placed[0].detail],
    ['high', admin.id, { holdId: hc.json.id, conversationId: held }],
  );
  assert.deepEqual([released[0].severity, released[0].detail], ['high', { holdId: hc.json.id, conversationId: held }]);
  assert.deepEqual((await auditRows('legal_hold.place', hu.json.id))[0].detail, { holdId: hu.json.id, userId: bob.id });
  assert.equal(await count("hmk.audit_log WHERE row_to_json(audit_log)::text LIKE '%hold-marker%'", []), 0);
  assert.ok(!h.logs.join('').includes('hold-marker'));
  const all = await req(admin, 'GET', '/v1/legal-holds');
  assert.ok(all.json.some((x: { id: string; active: boolean }) => x.id === hc.json.id && !x.active));
});

test('every admin endpoint answers 403 to non-admins, and Postgres refuses them too', async () => {
  const [alice, bob] = await users(2);
  const conv = await conversation(alice, bob);
  const hold = await req(admin, 'POST', '/v1/legal-holds', { conversationId: conv, reason: 'for the 403 test only' });
  const auditor = await h.user('auditor', { groups: ['auditor'] });
  const member = await h.user('member', { groups: ['member'] });
  const calls: [string, string, unknown?][] = [
    ['GET', '/v1/retention'],
    ['PUT', '/v1/retention', { days: 1 }],
    ['PUT', `/v1/conversations/${conv}/retention`, { days: 1 }],
    ['POST', '/v1/legal-holds', { conversationId: conv, reason: 'not allowed to do this' }],
    ['GET', '/v1/legal-holds'],
    ['POST', `/v1/legal-holds/${hold.json.id}/release`, { reason: 'not allowed to do this' }],
  ];
  for (const u of [alice, auditor, member]) {
    for (const [method, url, body] of calls) {
      const r = await req(u, method, url, body);
      assert.equal(r.status, 403, `${u.username} ${method} ${url}`);
      assert.equal(r.json.error, 'forbidden');
    }
  }
  const active = (await req(admin, 'GET', '/v1/legal-holds?active=true')).json;
  assert.ok(
    active.some((x: { id: string }) => x.id === hold.json.id),
    'the hold is still active',
  );

  // The serving role with a non-admin user cannot do it directly either.
  const pool = createRolePool(h.config.db, APP_ROLE, 1);
  const c = await pool.connect();
  try {
    const attempts = [
      [
        "INSERT INTO hmk.legal_holds (conversation_id, reason, placed_by) VALUES ($1, 'direct sql attempt', $2)",
        [conv, alice.id],
      ],
      ['INSERT INTO hmk.retention_policy (days, updated_by) VALUES (1, $1)', [alice.id]],
      ['SELECT hmk.set_conversation_retention($1, 1)', [conv]],
      [
        "UPDATE hmk.legal_holds SET released_by = $1, released_at = now(), release_reason = 'direct sql attempt' WHERE id = $2 RETURNING id",
        [alice.id, hold.json.id],
      ],
    ] as const;
    for (const [sql, params] of attempts) {
      await c.query('BEGIN');
      await c.query('SELECT hmk.begin_request($1, $2, 900, $3)', [alice.id, randomUUID(), ['clinician']]);
      const out = await c.query(sql, [...params]).then(
        (r) => r.rowCount,
        (e: { code: string }) => e.code,
      );
      await c.query('ROLLBACK');
      assert.ok(out === '42501' || out === 0, `${sql}: ${out}`);
    }
    await c.query('BEGIN');
    await c.query('SELECT hmk.begin_request($1, $2, 900, $3)', [alice.id, randomUUID(), ['clinician']]);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM hmk.legal_holds')).rows[0].n, 0, 'holds are invisible');
    await c.query('ROLLBACK');
  } finally {
    c.release();
    await pool.end();
  }
  await req(admin, 'POST', `/v1/legal-holds/${hold.json.id}/release`, { reason: 'end of the 403 test' });
});

test('the retention role can only call the retention functions', async () => {
  const pool = createRolePool(h.config.db, RETENTION_ROLE, 1);
  try {
    for (const t of [
      'messages',
      'message_bodies',
      'push_outbox',
      'attachments',
      'audit_log',
      'legal_holds',
      'pending_object_deletions',
    ]) {
      await assert.rejects(pool.query(`SELECT 1 FROM hmk.${t} LIMIT 1`), /permission denied/, t);
    }
    await assert.rejects(pool.query('DELETE FROM hmk.messages'), /permission denied/);
    await assert.rejects(
      pool.query(
        "INSERT INTO hmk.audit_log (chain, seq, at, action, outcome, status, prev_hash, hash) VALUES (0, 0, now(), 'x', 'ok', 200, '', '')",
      ),
      /permission denied/,
    );
  } finally {
    await pool.end();
  }
});

test('two jobs running at once delete each message once and never fail', async () => {
  const [alice, bob, carol, dave] = await users(4);
  const convs = [await conversation(dave, alice), await conversation(dave, bob), await conversation(dave, carol)];
  const period = periodOf(new Date(Date.now() - 40 * DAY));
  const perConv = 700;
  for (const conv of convs) {
    await db.query(
      `
      WITH m AS (
        INSERT INTO hmk.messages (id, conversation_id, sender_id, created_at)
        SELECT gen_random_uuid(), $1, $2, now() - interval '40 days' - g * interval '1 second' FROM generate_series(1, $3) g
        RETURNING id),
      b AS (
        INSERT INTO hmk.message_bodies (message_id, conversation_id, scheme, key_id, iv, ciphertext)
        SELECT id, $1, 'kms-envelope', 'ks:' || $4, '\\x00', '\\x00' FROM m)
      INSERT INTO hmk.push_outbox (message_id, conversation_id, recipient_id) SELECT id, $1, $5 FROM m`,
      [conv, dave.id, perConv, period, alice.id],
    );
  }
  const withFiles = (
    await db.query('SELECT id, conversation_id FROM hmk.messages WHERE conversation_id = ANY ($1) LIMIT 40', [convs])
  ).rows;
  const keys: string[] = [];
  for (const m of withFiles) keys.push(await attachment(m.conversation_id, m.id, dave));

  const pools = [createRolePool(h.config.db, RETENTION_ROLE, 1), createRolePool(h.config.db, RETENTION_ROLE, 1)];
  try {
    const jobs = pools.map(
      (p) => new RetentionJob(p, h.service.keyStore, objects, { intervalSeconds: 3600, batchSize: 100 }, quiet),
    );
    const results = await Promise.all([...jobs.map((j) => j.runOnce()), jobs[0].runOnce()]);
    const total = results.reduce((n, r) => n + r.messages, 0);
    assert.equal(total, 3 * perConv, JSON.stringify(results));
    assert.equal(
      results.reduce((n, r) => n + r.attachments, 0),
      40,
    );
    assert.equal(
      results.reduce((n, r) => n + r.objectsDeleted, 0),
      0,
      'objects wait out their upload URLs',
    );
    await ageQueue();
    const later = await Promise.all(jobs.map((j) => j.runOnce()));
    assert.equal(
      later.reduce((n, r) => n + r.objectsDeleted, 0),
      40,
      'each queued object deleted once',
    );
    for (const conv of convs) {
      assert.deepEqual(await messageIds(conv), []);
      const rows = await auditRows('retention.delete', conv);
      assert.equal(
        rows.reduce((n, a) => n + a.detail.messages, 0),
        perConv,
        'the audit rows add up to each message once',
      );
    }
    for (const key of keys) assert.equal(await objects.head(key), undefined);
    assert.equal(await count('hmk.pending_object_deletions', []), 0);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('a crash between claiming queued objects and deleting them is recovered by the next run', async () => {
  const [alice, carol] = await users(2);
  const conv = await conversation(carol, alice);
  const m = await oldMessage(conv, carol, alice, 'has a file', 60);
  const key = await attachment(conv, m, carol);
  const pool = createRolePool(h.config.db, RETENTION_ROLE, 1);
  try {
    // The object store fails after the rows are committed (as a crash at that point would leave things).
    const failing = {
      deleteObjects: async () => {
        throw new Error('process died');
      },
    };
    const crashed = new RetentionJob(
      pool,
      h.service.keyStore,
      failing,
      { intervalSeconds: 3600, batchSize: 100 },
      quiet,
    );
    const s1 = await crashed.runOnce();
    assert.equal(s1.messages, 1);
    assert.equal(await count('hmk.attachments WHERE message_id = $1', [m]), 0, 'the row is gone');
    await ageQueue();
    const s2 = await crashed.runOnce();
    assert.equal(s2.objectsDeleted, 0);
    assert.ok(await objects.head(key), 'the object is still there');
    assert.deepEqual(
      (await db.query('SELECT object_key FROM hmk.pending_object_deletions')).rows.map((r) => r.object_key),
      [key],
    );

    const s3 = await h.service.retention.runOnce();
    assert.equal(s3.objectsDeleted, 1);
    assert.equal(await objects.head(key), undefined);
    assert.equal(await count('hmk.pending_object_deletions', []), 0);
  } finally {
    await pool.end();
  }
});

test('an attachment file never outlives retention: no upload to an expiring message, and objects wait out their URLs', async () => {
  const [alice, bob] = await users(2);
  const conv = await conversation(alice, bob);
  const attachTo = (m: string) =>
    req(alice, 'POST', `/v1/conversations/${conv}/messages/${m}/attachments`, {
      contentType: 'application/pdf',
      sizeBytes: 3,
    });
  // Refused: expired but not deleted yet, or deleted within the upload URL's life plus a minute.
  const expired = await oldMessage(conv, alice, bob, 'expired, not deleted yet', 40);
  const expiring = await oldMessage(conv, alice, bob, 'deleted in 3 minutes', 30 - 3 / 1440);
  for (const m of [expired, expiring]) {
    const r = await attachTo(m);
    assert.equal(r.status, 409, JSON.stringify(r.json));
    assert.equal(r.json.error, 'conflict');
    assert.match(r.json.message, /^params\.messageId: the message expires too soon to attach files/);
  }
  assert.equal(await count('hmk.attachments WHERE message_id = ANY ($1)', [[expired, expiring]]), 0);
  const inAnHour = await oldMessage(conv, alice, bob, 'deleted in an hour', 30 - 1 / 24);
  assert.equal((await attachTo(inAnHour)).status, 201, 'a message expiring after the URL and its margin takes files');

  // The race the refusal cannot prevent: the message expires (here: is backdated) after the URL was issued.
  const m = await send(alice, conv, 'a scan follows');
  const created = await attachTo(m);
  assert.equal(created.status, 201);
  const key = `attachments/${conv}/${created.json.id}`;
  await db.query("UPDATE hmk.messages SET created_at = now() - interval '40 days' WHERE id = $1", [m]);
  const s1 = await h.service.retention.runOnce();
  assert.deepEqual([s1.messages, s1.attachments], [2, 1], 'the expired message and the backdated one, with its file');
  assert.equal(await count('hmk.attachments WHERE message_id = $1', [m]), 0, 'the row is gone');
  // The upload URL is still valid: the client's late PUT stores a file no row points at.
  const { upload } = created.json;
  const put = await h.service.app.inject({
    method: upload.method,
    url: upload.url,
    headers: upload.headers,
    payload: 'pdf',
  });
  assert.equal(put.statusCode, 200, put.body);
  assert.ok(await objects.head(key));
  // Not deleted before the URL's life plus a minute (6 minutes) has passed since the row went...
  assert.equal((await h.service.retention.runOnce()).objectsDeleted, 0);
  await ageQueue('5 minutes');
  assert.equal((await h.service.retention.runOnce()).objectsDeleted, 0);
  assert.ok(await objects.head(key), 'kept while an upload URL for it may still be used');
  // ...and deleted after, late upload included.
  await ageQueue('7 minutes');
  assert.equal((await h.service.retention.runOnce()).objectsDeleted, 1);
  assert.equal(await objects.head(key), undefined, 'the late upload does not survive');
  assert.equal(await count('hmk.pending_object_deletions WHERE object_key = $1', [key]), 0);
  // The messages left expire within the hour: held, so the later tests' counts stay exact.
  await db.query('INSERT INTO hmk.legal_holds (conversation_id, reason, placed_by) VALUES ($1, $2, $3)', [
    conv,
    'end of the grace test',
    admin.id,
  ]);
});

test('a legal hold placed while a batch runs binds that batch: deletion and shredding wait for the hold and see it', async () => {
  const [alice, bob, carol, dave] = await users(4);
  const period = periodOf(new Date(Date.now() - 100 * DAY));

  // Shredding: a conversation whose messages are deleted already, its key period waiting to be shredded.
  const shredHeld = await conversation(alice, carol);
  await oldMessage(shredHeld, alice, carol, 'deleted before the hold', 100);
  const pool = createRolePool(h.config.db, RETENTION_ROLE, 1);
  const holder = await h.owner();
  try {
    const { rows } = await pool.query('SELECT * FROM hmk.retention_delete_batch(NULL, 100, $1)', ['partial-run']);
    assert.deepEqual(
      rows.map((r) => r.conversation_id),
      [shredHeld],
    );
    // The hold is placed (owner connection) and not yet committed when the shred selection starts.
    await holder.query('BEGIN');
    await holder.query('INSERT INTO hmk.legal_holds (conversation_id, reason, placed_by) VALUES ($1, $2, $3)', [
      shredHeld,
      'placed while shredding runs',
      admin.id,
    ]);
    assert.equal(await holdLocks('ExclusiveLock', true), 1, 'placing a hold takes the lock exclusively');
    const due = pool.query('SELECT conversation_id FROM hmk.retention_shred_due(NULL, 1000)');
    await batchWaitsForHold();
    await holder.query('COMMIT');
    assert.ok(!(await due).rows.some((r) => r.conversation_id === shredHeld), 'the shred selection saw the hold');
  } finally {
    await pool.end();
    await holder.end();
  }

  // Deletion: the hold is placed by the serving role (as POST /v1/legal-holds does) during a full job run.
  const held = await conversation(alice, bob);
  const free = await conversation(alice, dave);
  const kept = await oldMessage(held, alice, bob, 'held while the batch ran', 100);
  await oldMessage(free, alice, dave, 'nobody holds this', 100);
  const app = createRolePool(h.config.db, APP_ROLE, 1);
  const c = await app.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT hmk.begin_request($1, $2, 900, $3)', [admin.id, randomUUID(), ['admin']]);
    await c.query('INSERT INTO hmk.legal_holds (conversation_id, reason, placed_by) VALUES ($1, $2, hmk.user_id())', [
      held,
      'placed while a batch runs',
    ]);
    assert.equal(await holdLocks('ExclusiveLock', true), 1);
    const run = h.service.retention.runOnce();
    await batchWaitsForHold();
    await c.query('COMMIT');
    const summary = await run;
    assert.equal(summary.messages, 1, JSON.stringify(summary));
    assert.deepEqual(await messageIds(held), [kept], 'the held conversation keeps its messages');
    assert.deepEqual(await messageIds(free), []);
    assert.ok(await h.service.keyStore.get(shredHeld, period), 'the held key period is not shredded');
    assert.equal(await h.service.keyStore.get(free, period), undefined, 'the free one is');
  } finally {
    c.release();
    await app.end();
  }
  assert.equal(
    (await holdLocks('ShareLock', false)) + (await holdLocks('ExclusiveLock', true)),
    0,
    'no lock left behind',
  );
});

test('crypto-shredding: once a period has fully expired its key is destroyed, and a backup copy of a body cannot be opened', async () => {
  const [bob, dave] = await users(2);
  const conv = await conversation(bob, dave);
  const oldText = 'from a long-expired period: shred-marker';
  const ancient = await oldMessage(conv, bob, dave, oldText, 100);
  const recent = await oldMessage(conv, bob, dave, 'expired, but its period is not over for long enough', 30.5);
  const current = await send(bob, conv, 'this month');
  const ancientPeriod = periodOf(new Date(Date.now() - 100 * DAY));
  const recentPeriod = periodOf(new Date(Date.now() - 30.5 * DAY));

  // The "backup": a raw copy of the body row, taken before deletion.
  const backup = (await db.query('SELECT * FROM hmk.message_bodies WHERE message_id = $1', [ancient])).rows[0];
  assert.equal(backup.key_id, `ks:${ancientPeriod}`);
  assert.equal(backup.encrypted_key, null, 'the row carries no wrapped key');
  const fromBackup = () =>
    new Envelope(h.keyring, limits, Date.now, h.service.keyStore).open(conv, {
      keyId: backup.key_id,
      encryptedKey: backup.encrypted_key,
      iv: backup.iv,
      ciphertext: backup.ciphertext,
    });
  assert.equal(await fromBackup(), oldText, 'before the shred, the backup copy opens');

  const summary = await h.service.retention.runOnce();
  assert.equal(summary.messages, 2);
  assert.equal(summary.keysDestroyed, 1);
  assert.deepEqual(await messageIds(conv), [current]);
  assert.equal(await h.service.keyStore.get(conv, ancientPeriod), undefined, 'the key store no longer has the key');
  const periods = await h.service.keyStore.listPeriods(conv);
  assert.ok(periods.includes(recentPeriod), 'a period shredded only after end + retention + 1 day');
  assert.ok(periods.includes(periodOf(new Date())), 'the current period is never shredded');
  await assert.rejects(fromBackup(), KeyDestroyedError, 'after the shred, the backup copy cannot be opened');
  // The keyring alone has nothing to unwrap: neither the row nor the store holds a wrapped key.
  assert.equal(backup.encrypted_key, null);
  assert.equal((await req(dave, 'GET', `/v1/conversations/${conv}/messages`)).json[0].body, 'this month');

  const shred = await auditRows('retention.shred', conv);
  assert.equal(shred.length, 1);
  assert.equal(shred[0].severity, 'high');
  assert.equal(shred[0].actor_id, null);
  assert.deepEqual(shred[0].detail, { messages: 0, attachments: 0, keysDestroyed: 1, periods: [ancientPeriod] });
  assert.equal(await count("hmk.audit_log WHERE row_to_json(audit_log)::text LIKE '%shred-marker%'", []), 0);
  assert.equal((await h.service.retention.runOnce()).keysDestroyed, 0, 'each key is shredded once');
  assert.ok(recent);
});

test('a legal hold also pauses shredding, even after the messages were deleted', async () => {
  const [carol, dave] = await users(2);
  const conv = await conversation(carol, dave);
  await oldMessage(conv, carol, dave, 'old, then held', 100);
  const period = periodOf(new Date(Date.now() - 100 * DAY));
  // Delete only (as a run that stopped before shredding), then a hold arrives.
  const pool = createRolePool(h.config.db, RETENTION_ROLE, 1);
  try {
    const { rows } = await pool.query('SELECT * FROM hmk.retention_delete_batch(NULL, 100, $1)', ['partial-run']);
    assert.deepEqual(
      rows.map((r) => [r.conversation_id, r.messages]),
      [[conv, 1]],
    );
  } finally {
    await pool.end();
  }
  const hold = await req(admin, 'POST', '/v1/legal-holds', { userId: carol.id, reason: 'preserve backups for audit' });
  assert.equal((await h.service.retention.runOnce()).keysDestroyed, 0);
  assert.ok(await h.service.keyStore.get(conv, period), 'the key survives while the hold applies');
  await req(admin, 'POST', `/v1/legal-holds/${hold.json.id}/release`, { reason: 'no longer needed' });
  assert.equal((await h.service.retention.runOnce()).keysDestroyed, 1);
  assert.equal(await h.service.keyStore.get(conv, period), undefined);
});

test('organisation retention: default, admin setting, forever', async () => {
  // Own harness: the setting is organisation-wide.
  const h2 = await createHarness({ RETENTION_JOB: 'false', RETENTION_DAYS: '30' });
  try {
    const adm = await h2.user('admin2', { groups: ['admin'] });
    const [x, y] = [await h2.user('x'), await h2.user('y')];
    const r0 = await h2.request('GET', '/v1/retention', { token: adm.token });
    assert.deepEqual(r0.json, { days: 30, source: 'default', updatedAt: null });
    const bad = await h2.request('PUT', '/v1/retention', { token: adm.token, body: { days: -1 } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /body\.days/);
    const set = await h2.request('PUT', '/v1/retention', { token: adm.token, body: { days: 60 } });
    assert.equal(set.status, 200);
    assert.equal(set.json.days, 60);
    assert.equal(set.json.source, 'setting');
    const audit = await (
      await h2.owner()
    ).query("SELECT actor_id, detail FROM hmk.audit_log WHERE action = 'retention.update' AND status = 200");
    assert.deepEqual(audit.rows, [{ actor_id: adm.id, detail: { days: 60 } }]);

    const conv = (await h2.request('POST', '/v1/conversations', { token: x.token, body: { participantIds: [y.id] } }))
      .json.id;
    // 45 days is now shorter than the organisation's 60.
    assert.equal(
      (await h2.request('PUT', `/v1/conversations/${conv}/retention`, { token: adm.token, body: { days: 45 } })).json
        .effectiveDays,
      45,
    );
    const owner = await h2.owner();
    const at = (days: number) => new Date(Date.now() - days * DAY);
    for (const days of [50, 40]) {
      await owner.query('INSERT INTO hmk.messages (conversation_id, sender_id, created_at) VALUES ($1, $2, $3)', [
        conv,
        x.id,
        at(days),
      ]);
    }
    const ids = async () =>
      (await owner.query('SELECT created_at FROM hmk.messages WHERE conversation_id = $1', [conv])).rows.length;
    // Bodies are optional for this check (the job deletes whatever exists of a message).
    assert.equal((await h2.service.retention.runOnce()).messages, 1, 'the 50-day message (over 45)');
    assert.equal(await ids(), 1);

    // 0 keeps forever: nothing is deleted by the organisation's age, a conversation's own value still applies.
    await h2.request('PUT', '/v1/retention', { token: adm.token, body: { days: 0 } });
    await h2.request('PUT', `/v1/conversations/${conv}/retention`, { token: adm.token, body: { days: null } });
    await owner.query('INSERT INTO hmk.messages (conversation_id, sender_id, created_at) VALUES ($1, $2, $3)', [
      conv,
      x.id,
      at(5000),
    ]);
    assert.equal((await h2.service.retention.runOnce()).messages, 0);
    const c2 = await h2.request('PUT', `/v1/conversations/${conv}/retention`, {
      token: adm.token,
      body: { days: 400 },
    });
    assert.deepEqual(c2.json, { conversationId: conv, days: 400, effectiveDays: 400 });
    assert.equal((await h2.service.retention.runOnce()).messages, 1);
    assert.equal(await ids(), 1);
  } finally {
    await h2.close();
  }
});

test('the job starts and stops with the service when enabled', async () => {
  const h3 = await createHarness({ RETENTION_DAYS: '1', RETENTION_INTERVAL_SECONDS: '1' });
  try {
    const [x, y] = [await h3.user('x'), await h3.user('y')];
    const conv = (await h3.request('POST', '/v1/conversations', { token: x.token, body: { participantIds: [y.id] } }))
      .json.id;
    const owner = await h3.owner();
    await owner.query(
      "INSERT INTO hmk.messages (conversation_id, sender_id, created_at) VALUES ($1, $2, now() - interval '2 days')",
      [conv, x.id],
    );
    const deadline = Date.now() + 10_000;
    while (
      (await owner.query('SELECT 1 FROM hmk.messages WHERE conversation_id = $1', [conv])).rowCount &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await owner.query('SELECT 1 FROM hmk.messages WHERE conversation_id = $1', [conv])).rowCount, 0);
  } finally {
    await h3.close();
  }
});
