// API contract: contacts in both directory modes, conversations, paging, end-to-end mode, keys,
// health and the OpenAPI document.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser, bob: TestUser, carol: TestUser;
before(async () => {
  h = await createHarness({ MAX_GROUP_SIZE: '3' });
  [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
});
after(() => h.close());

const post = (u: TestUser, url: string, body: unknown) => h.request('POST', url, { token: u.token, body });
const get = (u: TestUser, url: string) => h.request('GET', url, { token: u.token });

test('health reveals nothing', async () => {
  const r = await h.request('GET', '/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('OpenAPI document lists the contract paths', async () => {
  const r = await h.request('GET', '/v1/openapi.json');
  assert.equal(r.status, 200);
  for (const p of [
    '/v1/session',
    '/v1/contacts/me',
    '/v1/contacts',
    '/v1/conversations',
    '/v1/conversations/{id}/messages',
    '/v1/devices',
    '/v1/keys/me',
    '/v1/keys/{userId}',
  ]) {
    assert.ok(r.json.paths[p], p);
  }
});

test('PUT /v1/contacts/me registers and updates; the username comes from the token', async () => {
  const r = await h.request('PUT', '/v1/contacts/me', { token: alice.token, body: { displayName: 'Dr Alice' } });
  assert.deepEqual(r.json, { id: alice.id, username: 'alice', displayName: 'Dr Alice' });
  const kept = await h.request('PUT', '/v1/contacts/me', { token: alice.token, body: {} });
  assert.equal(kept.json.displayName, 'Dr Alice', 'omitting displayName keeps it');
  const cleared = await h.request('PUT', '/v1/contacts/me', { token: alice.token, body: { displayName: null } });
  assert.equal(cleared.json.displayName, null);
  const spoof = await h.request('PUT', '/v1/contacts/me', { token: alice.token, body: { username: 'bob' } });
  assert.equal(spoof.status, 400);
});

test('enterprise directory: exact lookup, list and search', async () => {
  assert.deepEqual((await get(bob, '/v1/contacts?username=carol')).json, [
    { id: carol.id, username: 'carol', displayName: 'Display carol' },
  ]);
  assert.deepEqual((await get(bob, '/v1/contacts?username=car')).json, [], 'exact match only');
  const all = await get(bob, '/v1/contacts');
  assert.deepEqual(
    all.json.map((c: { username: string }) => c.username),
    ['alice', 'bob', 'carol'],
  );
  assert.deepEqual(
    (await get(bob, '/v1/contacts?q=ca')).json.map((c: { username: string }) => c.username),
    ['carol'],
  );
  assert.deepEqual((await get(bob, '/v1/contacts?q=%25')).json, [], 'LIKE wildcards are literal');
});

test('public directory: exact lookup only, listing is 403', async () => {
  const pub = await createHarness({ DIRECTORY_MODE: 'public' });
  try {
    const u = await pub.user('zed');
    const r = await pub.request('GET', '/v1/contacts', { token: u.token });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'forbidden');
    assert.equal((await pub.request('GET', '/v1/contacts?q=z', { token: u.token })).status, 403);
    const found = await pub.request('GET', '/v1/contacts?username=zed', { token: u.token });
    assert.deepEqual(
      found.json.map((c: { id: string }) => c.id),
      [u.id],
    );
  } finally {
    await pub.close();
  }
});

test('1:1 conversations are idempotent per pair; groups are bounded', async () => {
  const first = await post(alice, '/v1/conversations', { participantIds: [bob.id] });
  assert.equal(first.status, 201);
  assert.deepEqual(first.json.participantIds, [alice.id, bob.id].sort());
  assert.equal(first.json.kind, 'direct');
  const again = await post(bob, '/v1/conversations', { participantIds: [alice.id, bob.id] });
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id, 'same pair, same conversation, whoever asks');
  const e2e = await post(alice, '/v1/conversations', { participantIds: [bob.id], endToEnd: true });
  assert.notEqual(e2e.json.id, first.json.id, 'an end-to-end conversation is a separate one');
  const group = await post(alice, '/v1/conversations', { participantIds: [bob.id, carol.id] });
  assert.equal(group.status, 201);
  assert.equal(group.json.kind, 'group');
  const tooBig = await post(alice, '/v1/conversations', { participantIds: [bob.id, carol.id, randomUUID()] });
  assert.equal(tooBig.status, 400);
  assert.match(tooBig.json.message, /participantIds/);
  const self = await post(alice, '/v1/conversations', { participantIds: [alice.id] });
  assert.equal(self.status, 400);
  assert.match(self.json.message, /participantIds/);
  const unknown = await post(alice, '/v1/conversations', { participantIds: [randomUUID()] });
  assert.equal(unknown.status, 404);
});

test('messages page newest first with a before cursor; the list is ordered by activity', async () => {
  const conv = (await post(alice, '/v1/conversations', { participantIds: [carol.id] })).json.id;
  for (let i = 0; i < 5; i++)
    assert.equal((await post(alice, `/v1/conversations/${conv}/messages`, { body: `n${i}` })).status, 201);
  const page1 = await get(carol, `/v1/conversations/${conv}/messages?limit=2`);
  assert.deepEqual(
    page1.json.map((m: { body: string }) => m.body),
    ['n4', 'n3'],
  );
  assert.deepEqual(Object.keys(page1.json[0]).sort(), ['body', 'createdAt', 'id', 'senderId']);
  const page2 = await get(carol, `/v1/conversations/${conv}/messages?limit=2&before=${page1.json[1].id}`);
  assert.deepEqual(
    page2.json.map((m: { body: string }) => m.body),
    ['n2', 'n1'],
  );
  const unknownCursor = await get(carol, `/v1/conversations/${conv}/messages?before=${randomUUID()}`);
  assert.equal(unknownCursor.status, 404);
  const list = await get(carol, '/v1/conversations');
  assert.equal(list.json[0].id, conv, 'newest activity first');
});

test('bodies are sealed at rest; end-to-end bodies are stored exactly as the client sent them', async () => {
  const db = await h.owner();
  const plain = (await post(alice, '/v1/conversations', { participantIds: [bob.id] })).json.id;
  const sent = await post(alice, `/v1/conversations/${plain}/messages`, { body: 'diagnosis: confidential-marker-123' });
  const stored = (await db.query('SELECT * FROM hmk.message_bodies WHERE message_id = $1', [sent.json.id])).rows[0];
  assert.equal(stored.scheme, 'kms-envelope');
  // A reference to the conversation's key of this month in the key store; no wrapped key in the row (crypto-shredding).
  assert.match(stored.key_id, /^ks:\d{4}-\d{2}$/);
  assert.equal(stored.encrypted_key, null);
  assert.ok(!stored.ciphertext.toString('latin1').includes('confidential-marker-123'));
  const dump = await db.query(
    "SELECT count(*)::int AS n FROM hmk.message_bodies WHERE position(convert_to('confidential-marker', 'UTF8') IN ciphertext) > 0",
  );
  assert.equal(dump.rows[0].n, 0, 'a database dump alone reveals nothing');

  const e2e = (await post(alice, '/v1/conversations', { participantIds: [bob.id], endToEnd: true })).json.id;
  const ciphertext = 'eyJ2IjoxLCJjdCI6IlpYaGhiWEJzWlE9PSJ9';
  const m = await post(alice, `/v1/conversations/${e2e}/messages`, { body: ciphertext });
  const row = (await db.query('SELECT * FROM hmk.message_bodies WHERE message_id = $1', [m.json.id])).rows[0];
  assert.equal(row.scheme, 'e2e');
  assert.equal(row.encrypted_key, null);
  assert.equal(row.ciphertext.toString('utf8'), ciphertext);
  assert.equal((await get(bob, `/v1/conversations/${e2e}/messages`)).json[0].body, ciphertext);
});

test('public-key directory: publish and look up', async () => {
  const key =
    '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----';
  const put = await h.request('PUT', '/v1/keys/me', { token: bob.token, body: { publicKey: key } });
  assert.equal(put.status, 200);
  const r = await get(alice, `/v1/keys/${bob.id}`);
  assert.equal(r.json.publicKey, key);
  assert.equal(r.json.userId, bob.id);
  assert.equal((await get(alice, `/v1/keys/${carol.id}`)).status, 404);
});
