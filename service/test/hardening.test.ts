// Fixes from the part 2 security review (migrations 007-009), each shown from the attacker's side: a serving
// connection under the attacker's control (an injection) and a clinician manufacturing a care relationship.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

test('a serving connection cannot create temporary objects (a pg_temp domain would run code as the owner)', async () => {
  const c = await h.service.pool.connect();
  try {
    await assert.rejects(c.query('CREATE TEMP TABLE scratch (i int)'), /permission denied/);
    await assert.rejects(c.query('CREATE DOMAIN pg_temp.timestamptz AS pg_catalog.timestamptz'), /permission denied/);
  } finally {
    c.release(true);
  }
});

test('new functions in the hmk schema are closed to PUBLIC by default', async () => {
  const db = await h.owner();
  const { rows } = await db.query(`
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'hmk' AND has_function_privilege('public', p.oid, 'EXECUTE')`);
  assert.deepEqual(rows, []);
  // A function created later by the migrating role, without any REVOKE, is not executable by PUBLIC.
  await db.query('BEGIN');
  try {
    await db.query('CREATE FUNCTION hmk.later_migration_probe() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$');
    const probe = await db.query(
      "SELECT has_function_privilege('public', 'hmk.later_migration_probe()', 'EXECUTE') AS ok",
    );
    assert.equal(probe.rows[0].ok, false);
  } finally {
    await db.query('ROLLBACK');
  }
});

test('the retention functions delete by the recorded default, not by days a caller passes', async () => {
  const alice = await h.user('alice', { groups: ['clinician'] });
  const bob = await h.user('bob', { groups: ['clinician'] });
  const conv = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })
  ).json.id;
  assert.equal(
    (
      await h.request('POST', `/v1/conversations/${conv}/messages`, {
        token: alice.token,
        body: { body: 'three days old' },
      })
    ).status,
    201,
  );
  const db = await h.owner();
  await db.query("UPDATE hmk.messages SET created_at = now() - interval '3 days' WHERE conversation_id = $1", [conv]);
  const remaining = async () =>
    (await db.query('SELECT count(*)::int AS n FROM hmk.messages WHERE conversation_id = $1', [conv])).rows[0].n;
  assert.equal(
    (await db.query('SELECT days FROM hmk.retention_default')).rows[0].days,
    0,
    'recorded from RETENTION_DAYS at start',
  );

  // An injected call through the system role, asking for 1 day: the recorded default (keep forever) wins.
  const c = await h.service.pool.connect();
  try {
    await c.query('SET ROLE hmk_retention');
    await c.query("SELECT * FROM hmk.retention_delete_batch(NULL, 1000, 'injected')");
  } finally {
    c.release(true);
  }
  assert.equal(await remaining(), 1);

  // The owner records 2 days: now the same message is expired, whatever the caller passes.
  await db.query('UPDATE hmk.retention_default SET days = 2');
  await h.service.retention.runOnce();
  assert.equal(await remaining(), 0);
});

test("a clinician cannot open a member's profile by starting a conversation with them", async () => {
  const member: TestUser = await h.user('member-m', { groups: ['member'] });
  const clinician = await h.user('clinician-c', { groups: ['clinician'] });
  const put = await h.request('PUT', `/v1/patients/${member.id}/profile`, {
    token: member.token,
    body: { mrn: 'MRN-HARDEN-0001' },
  });
  assert.equal(put.status, 200);
  const reveal = () =>
    h.request('POST', `/v1/patients/${member.id}/profile/reveal`, {
      token: clinician.token,
      body: { reason: 'reviewing medication list' },
    });
  assert.equal((await reveal()).status, 404);
  const conv = (
    await h.request('POST', '/v1/conversations', { token: clinician.token, body: { participantIds: [member.id] } })
  ).json.id;
  assert.equal((await reveal()).status, 404, 'a conversation the clinician started is not a care relationship');
  await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: member.token,
    body: { body: 'thanks for reaching out' },
  });
  const after = await reveal();
  assert.equal(after.status, 200, 'once the member writes in it, it is');
  assert.equal(after.json.mrn, 'MRN-HARDEN-0001');
});
