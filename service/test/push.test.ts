// Push: server-side only, generic payloads, transactional outbox, pruning, SNS calls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreatePlatformEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
} from '@aws-sdk/client-sns';
import { SnsPushGateway, type SnsSender } from '../src/push/sns.js';
import { toErrorReply } from '../src/errors.js';
import {
  DisabledPushGateway,
  EndpointDisabledError,
  InvalidDeviceTokenError,
  PlatformNotConfiguredError,
  PUSH_TEXT,
} from '../src/push/types.js';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser, bob: TestUser, carol: TestUser;
let conv: string;
const BOB_TOKEN = 'fcm-token-bob-0123456789';
const CAROL_TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

async function until(check: () => Promise<boolean> | boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  h = await createHarness({ PUSH_MAX_ATTEMPTS: '2' });
  [alice, bob, carol] = [await h.user('alice'), await h.user('bob'), await h.user('carol')];
  conv = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id, carol.id] } })
  ).json.id;
});
after(() => h.close());

let ownerDb: Awaited<ReturnType<Harness['owner']>>;
const outbox = async () => {
  ownerDb ??= await h.owner();
  return (await ownerDb.query('SELECT * FROM hmk.push_outbox ORDER BY id')).rows;
};

test('device registration never exposes the endpoint ARN', async () => {
  const r = await h.request('POST', '/v1/devices', { token: bob.token, body: { platform: 'fcm', token: BOB_TOKEN } });
  assert.equal(r.status, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ['createdAt', 'id', 'platform']);
  const again = await h.request('POST', '/v1/devices', {
    token: bob.token,
    body: { platform: 'fcm', token: BOB_TOKEN },
  });
  assert.equal(again.json.id, r.json.id, 'refreshing the same token keeps one device');
  assert.equal(
    (await h.request('POST', '/v1/devices', { token: carol.token, body: { platform: 'apns', token: CAROL_TOKEN } }))
      .status,
    201,
  );
  const list = await h.request('GET', '/v1/devices', { token: bob.token });
  assert.equal(list.json.length, 1);
  assert.doesNotMatch(JSON.stringify(list.json) + JSON.stringify(r.json), /endpoint|arn/i);
});

test('a send notifies every other participant, with a generic payload and the conversation id only', async () => {
  const before = h.sink.delivered.length;
  const r = await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    body: { body: 'potassium 6.1, call me' },
  });
  assert.equal(r.status, 201);
  await until(() => h.sink.delivered.length >= before + 2);
  const pushes = h.sink.delivered.slice(before);
  assert.equal(pushes.length, 2, 'bob and carol; never the sender');
  for (const p of pushes) {
    const msg = JSON.parse(p.message);
    assert.equal(msg.default, PUSH_TEXT);
    const apns = JSON.parse(msg.APNS);
    assert.deepEqual(apns, { aps: { alert: PUSH_TEXT, sound: 'default' }, conversationId: conv });
    const fcm = JSON.parse(msg.GCM);
    assert.deepEqual(fcm.fcmV1Message.message.data, { conversationId: conv });
    assert.doesNotMatch(p.message, /potassium|alice|bob|carol/);
  }
  await until(async () => (await outbox()).every((o) => o.delivered_at !== null));
});

test('a push failure never fails the send, and the outbox retries it', async () => {
  h.sink.failWith = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
  const before = h.sink.delivered.length;
  const r = await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: bob.token,
    body: { body: 'still sent' },
  });
  assert.equal(r.status, 201);
  const carolsRow = async () => (await outbox()).find((o) => o.message_id === r.json.id && o.recipient_id === carol.id);
  await until(async () => (await carolsRow())?.attempts >= 1);
  assert.equal((await carolsRow()).delivered_at, null, 'not delivered while failing');
  h.sink.failWith = undefined;
  await (await h.owner()).query('UPDATE hmk.push_outbox SET next_attempt_at = now() WHERE delivered_at IS NULL');
  await until(async () =>
    (await outbox()).filter((o) => o.message_id === r.json.id).every((o) => o.delivered_at !== null),
  );
  assert.ok(h.sink.delivered.length > before);
});

test('after the maximum attempts a push is marked failed, not retried forever', async () => {
  h.sink.failWith = new Error('down');
  const r = await h.request('POST', `/v1/conversations/${conv}/messages`, { token: bob.token, body: { body: 'x' } });
  assert.equal(r.status, 201);
  const carolsRow = async () => (await outbox()).find((o) => o.message_id === r.json.id && o.recipient_id === carol.id);
  await until(async () => {
    await ownerDb.query(
      'UPDATE hmk.push_outbox SET next_attempt_at = now() WHERE failed_at IS NULL AND delivered_at IS NULL',
    );
    return (await carolsRow()).failed_at !== null;
  });
  assert.equal((await carolsRow()).attempts, 2, 'PUSH_MAX_ATTEMPTS=2');
  assert.equal((await carolsRow()).delivered_at, null);
  h.sink.failWith = undefined;
});

test('disabled endpoints are pruned and do not block delivery to others', async () => {
  h.sink.disableToken('fcm', BOB_TOKEN);
  const before = h.sink.delivered.length;
  const r = await h.request('POST', `/v1/conversations/${conv}/messages`, { token: alice.token, body: { body: 'y' } });
  assert.equal(r.status, 201);
  await until(async () =>
    (await outbox()).filter((o) => o.message_id === r.json.id).every((o) => o.delivered_at !== null),
  );
  assert.equal(h.sink.delivered.length, before + 1, 'carol still got hers');
  assert.deepEqual(
    (await h.request('GET', '/v1/devices', { token: bob.token })).json,
    [],
    "bob's dead endpoint is gone",
  );
});

test('outbox rows are written in the same transaction as the message: a refused send leaves none', async () => {
  const eve = await h.user('eve');
  const count = (await outbox()).length;
  assert.equal(
    (await h.request('POST', `/v1/conversations/${conv}/messages`, { token: eve.token, body: { body: 'z' } })).status,
    404,
  );
  assert.equal((await outbox()).length, count);
  const orphans = await ownerDb.query(`SELECT count(*)::int AS n FROM hmk.messages m
    WHERE NOT EXISTS (SELECT 1 FROM hmk.push_outbox o WHERE o.message_id = m.id)`);
  assert.equal(orphans.rows[0].n, 0, 'every message has its outbox rows');
});

/** A fake SNS client recording commands; behaviour per command is scripted. */
function fakeSns(script: (cmd: unknown) => unknown) {
  const calls: unknown[] = [];
  const client: SnsSender = {
    send: (async (cmd: unknown) => {
      calls.push(cmd);
      return script(cmd);
    }) as SnsSender['send'],
  };
  return { client, calls };
}

test('SNS: register creates the endpoint and re-enables a disabled one', async () => {
  const arn = 'arn:aws:sns:eu-west-1:111111111111:endpoint/GCM/app/abc';
  const { client, calls } = fakeSns((cmd) => {
    if (cmd instanceof CreatePlatformEndpointCommand) return { EndpointArn: arn };
    if (cmd instanceof GetEndpointAttributesCommand) return { Attributes: { Enabled: 'false', Token: 'tok-12345678' } };
    return {};
  });
  const gw = new SnsPushGateway(client, { fcm: 'arn:aws:sns:eu-west-1:111111111111:app/GCM/app' });
  assert.equal(await gw.registerEndpoint('fcm', 'tok-12345678'), arn);
  assert.ok(calls[0] instanceof CreatePlatformEndpointCommand);
  assert.equal(
    (calls[0] as CreatePlatformEndpointCommand).input.PlatformApplicationArn,
    'arn:aws:sns:eu-west-1:111111111111:app/GCM/app',
  );
  assert.ok(calls[2] instanceof SetEndpointAttributesCommand);
  assert.deepEqual((calls[2] as SetEndpointAttributesCommand).input.Attributes, {
    Token: 'tok-12345678',
    Enabled: 'true',
  });
  await assert.rejects(gw.registerEndpoint('apns', 'tok-12345678'), PlatformNotConfiguredError);
});

test('SNS: an existing endpoint with other attributes is reused; a bad token is a 400-class error', async () => {
  const arn = 'arn:aws:sns:eu-west-1:111111111111:endpoint/APNS/app/x';
  const gw = new SnsPushGateway(
    fakeSns((cmd) => {
      if (cmd instanceof CreatePlatformEndpointCommand) {
        throw Object.assign(
          new Error(
            `Invalid parameter: Token Reason: Endpoint ${arn} already exists with the same Token, but different attributes.`,
          ),
          { name: 'InvalidParameterException' },
        );
      }
      if (cmd instanceof GetEndpointAttributesCommand) return { Attributes: { Enabled: 'true', Token: 't-12345678' } };
      return {};
    }).client,
    { apns: 'arn:app' },
  );
  assert.equal(await gw.registerEndpoint('apns', 't-12345678'), arn);
  const bad = new SnsPushGateway(
    fakeSns(() => {
      throw Object.assign(new Error('Invalid parameter: Token'), { name: 'InvalidParameterException' });
    }).client,
    { apns: 'arn:app' },
  );
  await assert.rejects(bad.registerEndpoint('apns', 'x'), InvalidDeviceTokenError);
});

test('SNS: publish sends the JSON structure; a disabled endpoint is reported for pruning', async () => {
  const { client, calls } = fakeSns(() => ({ MessageId: '1' }));
  await new SnsPushGateway(client, {}).publish('arn:endpoint', 'c0ffee00-0000-4000-8000-000000000000');
  const input = (calls[0] as PublishCommand).input;
  assert.equal(input.TargetArn, 'arn:endpoint');
  assert.equal(input.MessageStructure, 'json');
  assert.equal(JSON.parse(input.Message!).default, PUSH_TEXT);
  const dead = new SnsPushGateway(
    fakeSns(() => {
      throw Object.assign(new Error('Endpoint is disabled'), { name: 'EndpointDisabledException' });
    }).client,
    {},
  );
  await assert.rejects(dead.publish('arn:endpoint', 'c'), EndpointDisabledError);
  const flaky = new SnsPushGateway(
    fakeSns(() => {
      throw Object.assign(new Error('x'), { name: 'ThrottlingException' });
    }).client,
    {},
  );
  await assert.rejects(flaky.publish('arn:endpoint', 'c'), (e: Error) => !(e instanceof EndpointDisabledError));
});

test('a platform this deployment has no push app for is a 409 naming body.platform, never a 500', async () => {
  const apnsOnly = new SnsPushGateway(fakeSns(() => ({})).client, { apns: 'arn:app' });
  await assert.rejects(apnsOnly.registerEndpoint('fcm', 'fcm-token-0123456789'), PlatformNotConfiguredError);
  await assert.rejects(new DisabledPushGateway().registerEndpoint('apns'), PlatformNotConfiguredError);
  const reply = toErrorReply(new PlatformNotConfiguredError('fcm'));
  assert.equal(reply.status, 409);
  assert.equal(reply.body.message, 'body.platform: push to fcm is not configured on this server');
});
