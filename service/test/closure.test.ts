// Account closure: an admin de-identifies the directory entry (placeholder username, no display name, key or
// devices), the user's tokens are refused from then on, and their messages are kept for retention.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser, bob: TestUser, admin: TestUser;
let conv: string;
const KEY =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----';

before(async () => {
  h = await createHarness();
  alice = await h.user('alice.smith');
  bob = await h.user('bob');
  admin = await h.user('admin', { groups: ['admin'] });
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  for (const u of [alice, bob, alice]) {
    assert.equal(
      (
        await h.request('POST', `/v1/conversations/${conv}/messages`, {
          token: u.token,
          body: { body: `from ${u.username}` },
        })
      ).status,
      201,
    );
  }
  assert.equal(
    (
      await h.request('POST', '/v1/devices', {
        token: alice.token,
        body: { platform: 'fcm', token: 'fcm-token-alice-0123456789' },
      })
    ).status,
    201,
  );
  assert.equal((await h.request('PUT', '/v1/keys/me', { token: alice.token, body: { publicKey: KEY } })).status, 200);
});
after(() => h.close());

const close = (u: TestUser, id: string) => h.request('POST', `/v1/contacts/${id}/close`, { token: u.token });

test('only an admin may close an account', async () => {
  for (const u of [bob, alice]) {
    const r = await close(u, alice.id);
    assert.equal(r.status, 403);
    assert.match(r.json.message, /admin role/);
  }
  assert.equal((await close(admin, '00000000-0000-4000-8000-000000000000')).status, 404);
});

test('closing de-identifies the entry, removes devices and key, keeps messages, and is audited', async () => {
  const db = await h.owner();
  const messagesBefore = (
    await db.query('SELECT count(*)::int AS n FROM hmk.message_bodies WHERE conversation_id = $1', [conv])
  ).rows[0].n;
  const r = await close(admin, alice.id);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.match(r.json.username, /^closed-[0-9a-f]{32}$/);
  assert.equal(r.json.displayName, null);
  assert.equal(r.json.id, alice.id);

  const row = (await db.query('SELECT * FROM hmk.contacts WHERE id = $1', [alice.id])).rows[0];
  assert.equal(row.username, r.json.username);
  assert.equal(row.display_name, null);
  assert.ok(row.closed_at instanceof Date);
  assert.doesNotMatch(Object.values(row).join('|'), /alice|smith/i);
  assert.equal(
    (await db.query('SELECT count(*)::int AS n FROM hmk.devices WHERE user_id = $1', [alice.id])).rows[0].n,
    0,
  );
  assert.equal(
    (await db.query('SELECT count(*)::int AS n FROM hmk.public_keys WHERE user_id = $1', [alice.id])).rows[0].n,
    0,
  );
  assert.equal(
    (await db.query('SELECT count(*)::int AS n FROM hmk.message_bodies WHERE conversation_id = $1', [conv])).rows[0].n,
    messagesBefore,
    'messages are kept',
  );

  const audit = (await db.query("SELECT * FROM hmk.audit_log WHERE action = 'contact.close' AND outcome = 'ok'")).rows;
  assert.equal(audit.length, 1);
  assert.equal(audit[0].actor_id, admin.id);
  assert.deepEqual(audit[0].target_ids, [alice.id]);
  assert.equal(audit[0].severity, 'high');
  assert.deepEqual(audit[0].detail, { devicesRemoved: 1 });
});

test("the closed user's tokens are refused with 401 account closed, old and new", async () => {
  const fresh = h.issuer.mint({ username: 'alice.smith', sub: alice.id });
  for (const token of [alice.token, fresh]) {
    for (const [method, url, body] of [
      ['GET', '/v1/conversations', undefined],
      ['GET', `/v1/conversations/${conv}/messages`, undefined],
      ['POST', `/v1/conversations/${conv}/messages`, { body: 'still here?' }],
      ['PUT', '/v1/contacts/me', { displayName: 'Alice again' }],
    ] as const) {
      const r = await h.request(method, url, { token, body });
      assert.equal(r.status, 401, `${method} ${url}`);
      assert.equal(r.json.message, 'account closed', `${method} ${url}`);
    }
  }
  const db = await h.owner();
  const row = (await db.query('SELECT username, display_name FROM hmk.contacts WHERE id = $1', [alice.id])).rows[0];
  assert.match(row.username, /^closed-/, 'the entry was not re-identified');
});

test('the other participant still reads the conversation; the directory no longer lists the account', async () => {
  const msgs = await h.request('GET', `/v1/conversations/${conv}/messages`, { token: bob.token });
  assert.equal(msgs.status, 200);
  assert.equal(msgs.json.length, 3);
  assert.deepEqual((await h.request('GET', '/v1/contacts?username=alice.smith', { token: bob.token })).json, []);
  const all = await h.request('GET', '/v1/contacts', { token: bob.token });
  assert.ok(!all.json.some((c: { id: string }) => c.id === alice.id));
  const start = await h.request('POST', '/v1/conversations', {
    token: bob.token,
    body: { participantIds: [alice.id], endToEnd: true },
  });
  assert.equal(start.status, 404, 'no new conversation with a closed account');
});

test('a closed account cannot be closed or edited again', async () => {
  const again = await close(admin, alice.id);
  assert.equal(again.status, 409);
  assert.match(again.json.message, /closed/);
  const patch = await h.request('PATCH', `/v1/contacts/${alice.id}`, {
    token: admin.token,
    body: { displayName: 'Alice' },
  });
  assert.equal(patch.status, 409);
});
