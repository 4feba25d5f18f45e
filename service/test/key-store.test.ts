// Conversation key store (crypto-shredding): the DynamoDB store's calls (aws-sdk-client-mock, no network), the
// Postgres store on a real database, and the envelope's period keys on top of the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Envelope, KeyDestroyedError } from '../src/crypto/envelope.js';
import { periodEnd, periodOf, type StoredKey } from '../src/crypto/key-store.js';
import { DynamoDbKeyStore } from '../src/crypto/key-store-dynamodb.js';
import { PostgresKeyStore } from '../src/crypto/key-store-postgres.js';
import { LocalKeyring } from '../src/crypto/keyring-local.js';
import { KmsKeyProvider } from '../src/crypto/kms.js';
import { APP_ROLE, KEYS_ROLE, RETENTION_ROLE, createRolePool } from '../src/db/pool.js';
import { fakeKms } from './fake-kms.js';
import { createHarness, type Harness } from './helpers.js';

const limits = { maxAgeMs: 60_000, maxUses: 1000, maxEntries: 100 };
const key = (): StoredKey => ({ wrappedKey: randomBytes(60), kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k' });

let h: Harness;
let store: PostgresKeyStore;
before(async () => {
  h = await createHarness({ RETENTION_JOB: 'false' });
  store = h.service.keyStore as PostgresKeyStore;
  assert.ok(store instanceof PostgresKeyStore, 'tests use the Postgres key store');
});
after(() => h.close());

test('key periods are UTC calendar months', () => {
  assert.equal(periodOf(new Date('2026-11-30T23:59:59.999Z')), '2026-11');
  assert.equal(periodOf(new Date('2026-12-01T00:00:00Z')), '2026-12');
  assert.equal(periodEnd('2026-11').toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(periodEnd('2026-12').toISOString(), '2027-01-01T00:00:00.000Z');
  assert.throws(() => periodEnd('2026-13'));
});

test('DynamoDB store: consistent get, conditional create, destroy, paged list', async () => {
  const ddb = mockClient(DynamoDBClient);
  try {
    const ks = new DynamoDbKeyStore(new DynamoDBClient({ region: 'eu-west-1' }), 'hmk-keys');
    const conv = randomUUID();
    const k = key();

    ddb.on(GetItemCommand).resolves({});
    assert.equal(await ks.get(conv, '2026-11'), undefined);
    const get = ddb.commandCalls(GetItemCommand)[0].args[0].input;
    assert.deepEqual(get, {
      TableName: 'hmk-keys',
      Key: { conversationId: { S: conv }, period: { S: '2026-11' } },
      ConsistentRead: true,
    });

    ddb.on(PutItemCommand).resolves({});
    assert.equal(await ks.createIfAbsent(conv, '2026-11', k), k);
    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    assert.equal(put.ConditionExpression, 'attribute_not_exists(conversationId)');
    assert.deepEqual(put.Item?.conversationId, { S: conv });
    assert.deepEqual(put.Item?.period, { S: '2026-11' });
    assert.deepEqual(Buffer.from(put.Item!.wrappedKey.B!), k.wrappedKey);
    assert.equal(put.Item?.kmsKeyId.S, k.kmsKeyId);

    // Losing the race: the conditional write fails and the winner's key is returned.
    const winner = key();
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb
      .on(GetItemCommand)
      .resolves({ Item: { wrappedKey: { B: winner.wrappedKey }, kmsKeyId: { S: winner.kmsKeyId } } });
    const got = await ks.createIfAbsent(conv, '2026-11', key());
    assert.deepEqual(got.wrappedKey, winner.wrappedKey);
    // Other failures are not swallowed.
    ddb.on(PutItemCommand).rejects(new Error('throttled'));
    await assert.rejects(ks.createIfAbsent(conv, '2026-12', key()), /throttled/);

    ddb
      .on(DeleteItemCommand)
      .resolvesOnce({ Attributes: { period: { S: '2026-11' } } })
      .resolves({});
    assert.equal(await ks.destroy(conv, '2026-11'), true);
    assert.equal(await ks.destroy(conv, '2026-11'), false, 'destroying again is harmless');
    assert.deepEqual(ddb.commandCalls(DeleteItemCommand)[0].args[0].input.Key, {
      conversationId: { S: conv },
      period: { S: '2026-11' },
    });

    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ period: { S: '2026-12' } }],
        LastEvaluatedKey: { conversationId: { S: conv }, period: { S: '2026-12' } },
      })
      .resolvesOnce({ Items: [{ period: { S: '2026-10' } }] });
    assert.deepEqual(await ks.listPeriods(conv), ['2026-10', '2026-12']);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    assert.equal(queries.length, 2);
    assert.equal(queries[0].KeyConditionExpression, 'conversationId = :c');
    assert.equal(queries[0].ConsistentRead, true);
    assert.deepEqual(queries[1].ExclusiveStartKey, { conversationId: { S: conv }, period: { S: '2026-12' } });
  } finally {
    ddb.restore();
  }
});

test('Postgres store: two racing creates end with one key; destroy and list', async () => {
  const conv = randomUUID();
  const [a, b] = [key(), key()];
  const [ra, rb] = await Promise.all([
    store.createIfAbsent(conv, '2026-11', a),
    store.createIfAbsent(conv, '2026-11', b),
  ]);
  assert.deepEqual(ra.wrappedKey, rb.wrappedKey);
  assert.ok(ra.wrappedKey.equals(a.wrappedKey) || ra.wrappedKey.equals(b.wrappedKey));
  assert.deepEqual((await store.get(conv, '2026-11'))?.wrappedKey, ra.wrappedKey);
  await store.createIfAbsent(conv, '2026-09', key());
  assert.deepEqual(await store.listPeriods(conv), ['2026-09', '2026-11']);
  assert.equal(await store.destroy(conv, '2026-09'), true);
  assert.equal(await store.destroy(conv, '2026-09'), false);
  assert.equal(await store.get(conv, '2026-09'), undefined);
  assert.deepEqual(await store.listPeriods(conv), ['2026-11']);
});

test('only hmk_keys reaches the key table: not the serving role, not the retention job', async () => {
  for (const role of [APP_ROLE, RETENTION_ROLE] as const) {
    const pool = createRolePool(h.config.db, role, 1);
    try {
      await assert.rejects(pool.query('SELECT count(*) FROM hmk.conversation_keys'), /permission denied/, role);
    } finally {
      await pool.end();
    }
  }
  const keys = createRolePool(h.config.db, KEYS_ROLE, 1);
  try {
    await assert.rejects(
      keys.query('SELECT count(*) FROM hmk.messages'),
      /permission denied/,
      'hmk_keys sees nothing else',
    );
  } finally {
    await keys.end();
  }
});

test('period keys: the body holds only a reference; the KMS context names conversation and period', async () => {
  const { client, calls } = fakeKms();
  const at = Date.parse('2026-11-15T12:00:00Z');
  const env = new Envelope(new KmsKeyProvider(client, 'alias/hmk'), limits, () => at, store);
  const conv = randomUUID();
  const sealed = await env.seal(conv, 'secret text');
  assert.equal(sealed.keyId, 'ks:2026-11');
  assert.equal(sealed.encryptedKey, null);
  const ofCall = (c: (typeof calls)[number] | undefined) => c && { name: c.name, context: c.input.EncryptionContext };
  assert.deepEqual(ofCall(calls[0]), {
    name: 'GenerateDataKeyCommand',
    context: { service: 'hipaa-messaging', conversationId: conv, period: '2026-11' },
  });
  const stored = await store.get(conv, '2026-11');
  assert.equal(stored?.kmsKeyId, 'arn:aws:kms:eu-west-1:111111111111:key/test');
  // Another container (fresh cache) opens it through the store and KMS.
  const other = new Envelope(new KmsKeyProvider(client, 'alias/hmk'), limits, () => at, store);
  assert.equal(await other.open(conv, sealed), 'secret text');
  assert.deepEqual(ofCall(calls.at(-1)), {
    name: 'DecryptCommand',
    context: { service: 'hipaa-messaging', conversationId: conv, period: '2026-11' },
  });
  // Many seals in one period: one key.
  for (let i = 0; i < 5; i++) await env.seal(conv, `m${i}`);
  assert.equal(calls.filter((c) => c.name === 'GenerateDataKeyCommand').length, 1);
});

test('period keys: a new month gets a new key; a body moved to another period or conversation fails to open', async () => {
  const keyring = new LocalKeyring();
  let now = Date.parse('2026-11-30T23:59:59Z');
  const env = new Envelope(keyring, limits, () => now, store);
  const conv = randomUUID();
  const nov = await env.seal(conv, 'november');
  now = Date.parse('2026-12-01T00:00:01Z');
  const dec = await env.seal(conv, 'december');
  assert.equal(nov.keyId, 'ks:2026-11');
  assert.equal(dec.keyId, 'ks:2026-12');
  assert.deepEqual(await store.listPeriods(conv), ['2026-11', '2026-12']);
  assert.equal(await env.open(conv, nov), 'november');
  await assert.rejects(env.open(conv, { ...nov, keyId: 'ks:2026-12' }), 'relabelled period');
  await assert.rejects(env.open(randomUUID(), nov), 'another conversation');
  await assert.rejects(env.open(conv, { ...nov, keyId: 'ks:2026-1x' }), /malformed/);
});

test('two envelopes (two containers) sealing a new period at once share one key', async () => {
  const keyring = new LocalKeyring();
  const conv = randomUUID();
  const envs = [new Envelope(keyring, limits, Date.now, store), new Envelope(keyring, limits, Date.now, store)];
  const sealed = await Promise.all(Array.from({ length: 10 }, (_, i) => envs[i % 2].seal(conv, `m${i}`)));
  assert.equal((await store.listPeriods(conv)).length, 1);
  for (let i = 0; i < 10; i++) assert.equal(await envs[(i + 1) % 2].open(conv, sealed[i]), `m${i}`);
});

test('a destroyed period cannot be opened, even with the keyring; older rows with their own wrapped key still open', async () => {
  const keyring = new LocalKeyring();
  const conv = randomUUID();
  const env = new Envelope(keyring, limits, Date.now, store);
  const sealed = await env.seal(conv, 'to be shredded');
  const period = sealed.keyId.slice(3);
  await store.destroy(conv, period);
  // A fresh process (no cached key) restoring a backup of the row: no wrapped key in it, none in the store.
  const restored = new Envelope(keyring, limits, Date.now, store);
  await assert.rejects(restored.open(conv, sealed), KeyDestroyedError);
  assert.equal(sealed.encryptedKey, null);

  // A row written before period keys (wrapped key inside) opens with the key store configured.
  const legacy = await new Envelope(keyring, limits).seal(conv, 'written before');
  assert.notEqual(legacy.encryptedKey, null);
  assert.equal(legacy.keyId, keyring.keyId);
  assert.equal(await restored.open(conv, legacy), 'written before');
  // Records that are not conversations keep their own wrapped key.
  const other = await restored.seal(`patient:${randomUUID()}`, 'mrn');
  assert.equal(other.keyId, keyring.keyId);
  assert.notEqual(other.encryptedKey, null);
});

test('through the API: new bodies reference the key store; a row written before period keys still reads', async () => {
  const [a, b] = [await h.user(), await h.user()];
  const conv = (await h.request('POST', '/v1/conversations', { token: a.token, body: { participantIds: [b.id] } })).json
    .id;
  const db = await h.owner();
  const legacy = await new Envelope(h.keyring, limits).seal(conv, 'sealed the old way');
  await db.query(
    "INSERT INTO hmk.messages (id, conversation_id, sender_id, created_at) VALUES ($1, $2, $3, now() - interval '1 minute')",
    [randomUUID(), conv, a.id],
  );
  await db.query(
    `INSERT INTO hmk.message_bodies (message_id, conversation_id, scheme, key_id, encrypted_key, iv, ciphertext)
                  SELECT id, $1, 'kms-envelope', $2, $3, $4, $5 FROM hmk.messages WHERE conversation_id = $1`,
    [conv, legacy.keyId, legacy.encryptedKey, legacy.iv, legacy.ciphertext],
  );
  assert.equal(
    (
      await h.request('POST', `/v1/conversations/${conv}/messages`, {
        token: a.token,
        body: { body: 'sealed the new way' },
      })
    ).status,
    201,
  );
  const rows = (
    await db.query(
      'SELECT key_id, encrypted_key IS NULL AS ref FROM hmk.message_bodies WHERE conversation_id = $1 ORDER BY key_id',
      [conv],
    )
  ).rows;
  assert.deepEqual(rows, [
    { key_id: `ks:${periodOf(new Date())}`, ref: true },
    { key_id: h.keyring.keyId, ref: false },
  ]);
  const read = await h.request('GET', `/v1/conversations/${conv}/messages`, { token: b.token });
  assert.deepEqual(
    read.json.map((m: { body: string }) => m.body),
    ['sealed the new way', 'sealed the old way'],
  );
  assert.deepEqual(await store.listPeriods(conv), [periodOf(new Date())]);
});

test('a failed key-store or KMS call is not cached', async () => {
  const inner = new LocalKeyring();
  let fail = true;
  const env = new Envelope(
    {
      keyId: inner.keyId,
      generateDataKey: async (ctx) => {
        if (fail) throw new Error('throttled');
        return inner.generateDataKey(ctx);
      },
      decryptDataKey: (...a) => inner.decryptDataKey(...a),
    },
    limits,
    Date.now,
    store,
  );
  const conv = randomUUID();
  await assert.rejects(env.seal(conv, 'x'), /throttled/);
  assert.deepEqual(await store.listPeriods(conv), []);
  fail = false;
  assert.equal(await env.open(conv, await env.seal(conv, 'x')), 'x');
});
