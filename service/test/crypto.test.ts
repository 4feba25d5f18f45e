// Envelope encryption: AES-256-GCM bodies, data keys bound to the conversation, bounded key cache,
// and the KMS provider's calls (checked against a fake client: no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Envelope } from '../src/crypto/envelope.js';
import { LocalKeyring } from '../src/crypto/keyring-local.js';
import { KmsKeyProvider } from '../src/crypto/kms.js';
import { fakeKms } from './fake-kms.js';

const limits = { maxAgeMs: 60_000, maxUses: 3, maxEntries: 2 };
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

test('seal/open round-trips unicode, and the ciphertext does not contain the text', async () => {
  const env = new Envelope(new LocalKeyring(), limits);
  const text = 'Blood glucose 7.2 mmol/L — 患者 👩‍⚕️';
  const sealed = await env.seal(A, text);
  assert.ok(!sealed.ciphertext.includes(Buffer.from('glucose')));
  assert.equal(sealed.iv.length, 12);
  assert.equal(await env.open(A, sealed), text);
});

test('a body moved to another conversation, or altered, fails to open', async () => {
  const env = new Envelope(new LocalKeyring(), limits);
  const sealed = await env.seal(A, 'secret');
  await assert.rejects(env.open(B, sealed));
  const flipped = Buffer.from(sealed.ciphertext);
  flipped[0] ^= 1;
  await assert.rejects(env.open(A, { ...sealed, ciphertext: flipped }));
  await assert.rejects(new Envelope(new LocalKeyring(), limits).open(A, sealed), 'another master key cannot open it');
});

test('KMS provider passes the key id and the conversation as encryption context', async () => {
  const { client, calls } = fakeKms();
  const env = new Envelope(new KmsKeyProvider(client, 'alias/hmk-messages'), limits);
  const sealed = await env.seal(A, 'hello');
  assert.equal(calls[0].name, 'GenerateDataKeyCommand');
  assert.equal(calls[0].input.KeyId, 'alias/hmk-messages');
  assert.deepEqual(calls[0].input.EncryptionContext, { service: 'hipaa-messaging', conversationId: A });
  assert.equal(sealed.keyId, 'arn:aws:kms:eu-west-1:111111111111:key/test');
  const fresh = new Envelope(new KmsKeyProvider(client, 'alias/hmk-messages'), limits);
  assert.equal(await fresh.open(A, sealed), 'hello');
  assert.equal(calls[1].name, 'DecryptCommand');
  assert.deepEqual(calls[1].input.EncryptionContext, { service: 'hipaa-messaging', conversationId: A });
});

test('data keys are cached with bounded uses, age and entries', async () => {
  const { client, calls } = fakeKms();
  let now = 0;
  const env = new Envelope(new KmsKeyProvider(client, 'k'), limits, () => now);
  const gen = () => calls.filter((c) => c.name === 'GenerateDataKeyCommand').length;
  await env.seal(A, '1');
  await env.seal(A, '2');
  await env.seal(A, '3');
  assert.equal(gen(), 1, 'three uses, one data key');
  await env.seal(A, '4');
  assert.equal(gen(), 2, 'maxUses reached: new key');
  now += 60_000;
  await env.seal(A, '5');
  assert.equal(gen(), 3, 'maxAge reached: new key');
  await env.seal(B, 'x');
  await env.seal(C, 'y');
  await env.seal(A, '6');
  assert.equal(gen(), 6, 'different conversations never share a key; LRU evicted A');
  // Many concurrent seals for one conversation share one in-flight request.
  const env2 = new Envelope(new KmsKeyProvider(client, 'k'), { ...limits, maxUses: 100 });
  const before = gen();
  await Promise.all(Array.from({ length: 20 }, (_, i) => env2.seal(A, String(i))));
  assert.equal(gen() - before, 1);
  // Decrypt keys are cached too.
  const sealed = await env2.seal(A, 'z');
  const reader = new Envelope(new KmsKeyProvider(client, 'k'), limits);
  const dec = () => calls.filter((c) => c.name === 'DecryptCommand').length;
  const d0 = dec();
  for (let i = 0; i < 5; i++) await reader.open(A, sealed);
  assert.equal(dec() - d0, 1);
});

test('a failed key-service call is not cached', async () => {
  let fail = true;
  const inner = new LocalKeyring();
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
  );
  await assert.rejects(env.seal(A, 'x'), /throttled/);
  fail = false;
  assert.equal(await env.open(A, await env.seal(A, 'x')), 'x');
});

test('local keyring refuses keys from another keyring', async () => {
  const k1 = new LocalKeyring(randomBytes(32));
  const k2 = new LocalKeyring(randomBytes(32));
  const dk = await k1.generateDataKey({ conversationId: A });
  await assert.rejects(k2.decryptDataKey(dk.encrypted, dk.keyId, { conversationId: A }));
  await assert.rejects(k1.decryptDataKey(dk.encrypted, dk.keyId, { conversationId: B }));
});
