// Row-level security proven at the SQL level, on a connection from the service's OWN pool (logged in
// as hmk_service, running as hmk_app): with no WHERE clause it sees only what the acting user may see.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let db: pg.PoolClient;
let alice: TestUser, bob: TestUser, carol: TestUser;
let ab: string, bc: string;

before(async () => {
  h = await createHarness();
  [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
  ab = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  bc = (await h.request('POST', '/v1/conversations', { token: bob.token, body: { participantIds: [carol.id] } })).json
    .id;
  for (const [u, c] of [
    [alice, ab],
    [bob, ab],
    [bob, bc],
    [carol, bc],
  ] as const) {
    assert.equal(
      (
        await h.request('POST', `/v1/conversations/${c}/messages`, {
          token: u.token,
          body: { body: `from ${u.username}` },
        })
      ).status,
      201,
    );
  }
  db = await h.service.pool.connect();
});
after(async () => {
  db.release();
  await h.close();
});

async function as(user: TestUser | null, sql: string, params: unknown[] = []) {
  await db.query('BEGIN');
  try {
    if (user) await db.query("SELECT set_config('hmk.user_id', $1, true)", [user.id]);
    return (await db.query(sql, params)).rows;
  } finally {
    await db.query('ROLLBACK');
  }
}

test('the session really is the non-owner serving role, logged in as the non-owner service login', async () => {
  const [r] = await as(null, 'SELECT current_user AS who, session_user AS login');
  assert.equal(r.who, 'hmk_app');
  assert.equal(r.login, 'hmk_service');
});

test("SELECT with no WHERE returns only the acting user's messages, bodies and conversations", async () => {
  const msgs = (u: TestUser) => as(u, 'SELECT conversation_id FROM hmk.messages');
  assert.deepEqual(new Set((await msgs(alice)).map((r) => r.conversation_id)), new Set([ab]));
  assert.equal((await msgs(alice)).length, 2);
  assert.equal((await msgs(bob)).length, 4);
  assert.deepEqual(new Set((await msgs(carol)).map((r) => r.conversation_id)), new Set([bc]));
  assert.equal((await as(alice, 'SELECT * FROM hmk.message_bodies')).length, 2);
  assert.equal((await as(carol, 'SELECT * FROM hmk.message_bodies')).length, 2);
  assert.deepEqual(
    (await as(alice, 'SELECT id FROM hmk.conversations')).map((r) => r.id),
    [ab],
  );
  assert.equal((await as(alice, 'SELECT * FROM hmk.participants')).length, 2);
  // The table itself holds all four (checked as owner, on a separate owner connection).
  const owner = await h.owner();
  assert.equal((await owner.query('SELECT count(*)::int AS n FROM hmk.messages')).rows[0].n, 4);
});

test('with no acting user nothing is visible', async () => {
  for (const t of [
    'messages',
    'message_bodies',
    'conversations',
    'participants',
    'contacts',
    'devices',
    'public_keys',
  ]) {
    assert.equal((await as(null, `SELECT * FROM hmk.${t}`)).length, 0, t);
  }
});

test('a user cannot write into a conversation they are not in, or as someone else', async () => {
  await assert.rejects(
    as(alice, 'INSERT INTO hmk.messages (conversation_id, sender_id) VALUES ($1, $2)', [bc, alice.id]),
    /row-level security/,
  );
  await assert.rejects(
    as(alice, 'INSERT INTO hmk.messages (conversation_id, sender_id) VALUES ($1, $2)', [ab, bob.id]),
    /row-level security/,
  );
  await assert.rejects(
    as(
      alice,
      "SELECT * FROM hmk.send_message($1, 's1', 900, $2, 'e2e', null, null, null, '\\x00', null, null, null, null, null)",
      [alice.id, bc],
    ),
  );
  await assert.rejects(
    as(alice, 'UPDATE hmk.contacts SET display_name = $1 WHERE id = $2 RETURNING id', ['x', bob.id]).then((r) => {
      if (r.length === 0) throw new Error('no rows updated');
    }),
    /no rows updated/,
  );
});

test('the serving role cannot read the audit log (without the auditor role), sessions or outbox, nor change the audit log', async () => {
  for (const t of ['sessions', 'push_outbox']) {
    await assert.rejects(as(alice, `SELECT * FROM hmk.${t}`), /permission denied/, t);
  }
  // Readable only under hmk.has_role('auditor') (migration 005); alice's transaction sets no roles.
  for (const t of ['audit_log', 'audit_chain_heads']) {
    assert.equal((await as(alice, `SELECT * FROM hmk.${t}`)).length, 0, t);
  }
  await assert.rejects(as(alice, 'UPDATE hmk.audit_log SET outcome = $1', ['ok']), /permission denied/);
  await assert.rejects(as(alice, 'DELETE FROM hmk.audit_log'), /permission denied/);
  await assert.rejects(
    as(
      alice,
      "INSERT INTO hmk.audit_log (chain, seq, at, actor_id, action, outcome, status, prev_hash, hash) VALUES (0, 0, now(), $1, 'forged', 'ok', 200, '', '')",
      [bob.id],
    ),
    /row-level security/,
    "cannot write audit rows in someone else's name",
  );
});

test('even the owner cannot UPDATE, DELETE or TRUNCATE audit rows', async () => {
  const owner = await h.owner();
  await assert.rejects(owner.query("UPDATE hmk.audit_log SET outcome = 'ok'"), /append-only/);
  await assert.rejects(owner.query('DELETE FROM hmk.audit_log'), /append-only/);
  await assert.rejects(owner.query('TRUNCATE hmk.audit_log'), /append-only/);
});
