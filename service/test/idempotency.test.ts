// Idempotent sends: Idempotency-Key (IETF httpapi draft). A client that lost its connection mid-send retries
// without creating a duplicate; the same key for a different request is a 422; keys live 24 h.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let conv: string;

before(async () => {
  h = await createHarness();
  alice = await h.user('alice');
  bob = await h.user('bob');
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
});
after(() => h.close());

const send = (key: string | undefined, body: string, c = conv, u = alice) =>
  h.request('POST', `/v1/conversations/${c}/messages`, {
    token: u.token,
    body: { body },
    headers: key === undefined ? {} : { 'idempotency-key': key },
  });

async function count(): Promise<number> {
  const owner = await h.owner();
  return (await owner.query('SELECT count(*)::int AS n FROM hmk.messages WHERE conversation_id = $1', [conv])).rows[0]
    .n;
}

test('a retry with the same key and body returns the original message, and nothing is sent twice', async () => {
  const key = `"${randomUUID()}"`;
  const first = await send(key, 'take 5 mg at night');
  assert.equal(first.status, 201);
  const before = await count();
  const retry = await send(key, 'take 5 mg at night');
  assert.equal(retry.status, 201);
  assert.deepEqual(retry.json, first.json, 'the same id and time');
  assert.equal(retry.headers['idempotent-replayed'], 'true');
  assert.equal(first.headers['idempotent-replayed'], undefined);
  assert.equal(await count(), before, 'no second message');
  // Concurrent retries (a client that fired twice) also make exactly one message.
  const key2 = randomUUID();
  const burst = await Promise.all(Array.from({ length: 8 }, () => send(key2, 'burst')));
  const ok = burst.filter((r) => r.status === 201);
  assert.ok(ok.length >= 1);
  assert.equal(new Set(ok.map((r) => r.json.id)).size, 1, 'every 201 names the same message');
  for (const r of burst.filter((x) => x.status !== 201)) assert.equal(r.status, 409);
  assert.equal(await count(), before + 1);
});

test('the same key with a different body or conversation is a 422; keys are per user', async () => {
  const key = randomUUID();
  assert.equal((await send(key, 'original')).status, 201);
  const other = await send(key, 'changed');
  assert.equal(other.status, 422);
  assert.match(other.json.message, /Idempotency-Key/);
  const group = (
    await h.request('POST', '/v1/conversations', {
      token: alice.token,
      body: { participantIds: [bob.id, (await h.user('carol')).id] },
    })
  ).json.id;
  assert.equal((await send(key, 'original', group)).status, 422);
  const bobs = await send(key, 'original', conv, bob);
  assert.equal(bobs.status, 201, 'another user may use the same key');
  assert.equal(bobs.headers['idempotent-replayed'], undefined);
});

test('a key older than 24 h is forgotten; a malformed key is a 400 naming the header', async () => {
  const key = randomUUID();
  const first = await send(key, 'yesterday');
  const owner = await h.owner();
  await owner.query("UPDATE hmk.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [key]);
  const later = await send(key, 'today, a new message');
  assert.equal(later.status, 201);
  assert.notEqual(later.json.id, first.json.id);
  await owner.query("UPDATE hmk.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [key]);
  const pruned = await owner.query('SELECT hmk.prune_idempotency_keys() AS n');
  assert.ok(pruned.rows[0].n >= 1);
  for (const bad of ['', 'x'.repeat(256), 'tab\there']) {
    const r = await send(bad, 'whatever');
    assert.equal(r.status, 400, bad);
    assert.match(r.json.message, /idempotency-key/);
  }
  // The key and hash tell nothing about the body.
  const { rows } = await owner.query('SELECT key, request_hash FROM hmk.idempotency_keys');
  assert.ok(rows.every((r) => !String(r.key).includes('take 5 mg')));
});
