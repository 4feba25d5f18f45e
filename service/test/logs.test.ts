// No message text, token or device token in any log line, across a full flow including errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await createHarness({ LOG_LEVEL: 'trace' });
});
after(() => h.close());

test('a flow with successes and failures logs no secrets', async () => {
  const BODY = 'SECRET-BODY-hba1c-9.4';
  const NAME = 'SECRET-NAME-Jane-Roe';
  const DEVICE = 'SECRETDEVICETOKEN0123456789';
  const KEY = 'SECRET-PUBLIC-KEY-AAAAAAAAAAAAAAAA';
  const alice = await h.user('alice');
  const bob = await h.user('bob');
  await h.request('PUT', '/v1/contacts/me', { token: alice.token, body: { displayName: NAME } });
  await h.request('PUT', '/v1/keys/me', { token: alice.token, body: { publicKey: KEY } });
  await h.request('POST', '/v1/devices', { token: bob.token, body: { platform: 'fcm', token: DEVICE } });
  const conv = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })
  ).json.id;
  assert.equal(
    (await h.request('POST', `/v1/conversations/${conv}/messages`, { token: alice.token, body: { body: BODY } }))
      .status,
    201,
  );
  assert.equal((await h.request('GET', `/v1/conversations/${conv}/messages`, { token: bob.token })).status, 200);
  // Failures that tend to echo input: bad JSON, validation, oversize, bad token, a query string.
  await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    payload: `{"body": "${BODY}`,
    headers: { 'content-type': 'application/json' },
  });
  await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    body: { body: BODY, extra: BODY },
  });
  await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    body: { body: BODY.repeat(1000) },
  });
  await h.request('GET', `/v1/contacts?username=${NAME}`, { token: alice.token });
  await h.request('GET', `/v1/conversations/${BODY}`, { token: alice.token });
  await h.request('GET', '/v1/session', { token: `${alice.token}x` });
  // A server-side failure (key service down) is logged, without the body.
  const original = h.keyring.generateDataKey.bind(h.keyring);
  h.keyring.generateDataKey = async () => {
    throw new Error(`KMS unavailable while sealing ${BODY}`);
  };
  const carol = await h.user('carol');
  const conv2 = (
    await h.request('POST', '/v1/conversations', { token: bob.token, body: { participantIds: [carol.id] } })
  ).json.id;
  const failed = await h.request('POST', `/v1/conversations/${conv2}/messages`, {
    token: bob.token,
    body: { body: BODY },
  });
  h.keyring.generateDataKey = original;
  assert.equal(failed.status, 500);
  assert.deepEqual(failed.json, { error: 'internal', message: 'internal error' });
  await new Promise((r) => setTimeout(r, 300)); // let the push dispatcher log too

  const all = h.logs.join('');
  assert.ok(h.logs.length > 15, 'the flow was logged');
  assert.match(all, /"status":500/);
  assert.match(all, /request failed/);
  const secrets = [BODY, NAME, DEVICE, KEY, alice.token, bob.token, alice.token.split('.')[2], bob.token.split('.')[1]];
  for (const s of secrets) assert.ok(!all.includes(s), `log contains a secret: ${s.slice(0, 20)}…`);
  assert.doesNotMatch(all, /local:endpoint/, 'no endpoint ARNs either');
  assert.doesNotMatch(all, /Bearer/);
});
