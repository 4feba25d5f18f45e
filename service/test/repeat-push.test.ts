// Repeat push until read: a message still unread N minutes after its last push gets one more PHI-free push, at most
// K times; a read, a recall or leaving the conversation stops it. Time is moved by ageing the rows in the database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let owner: pg.Client;
let alice: TestUser;
let bob: TestUser;
let conv: string;

before(async () => {
  h = await createHarness({ REPEAT_PUSH_AFTER_MINUTES: '5', REPEAT_PUSH_MAX: '2' });
  owner = await h.owner();
  alice = await h.user('alice');
  bob = await h.user('bob');
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  await h.request('POST', '/v1/devices', { token: bob.token, body: { platform: 'apns', token: 'bob-phone' } });
});
after(() => h.close());

async function sendAndDeliver(body: string): Promise<string> {
  const r = await h.request('POST', `/v1/conversations/${conv}/messages`, { token: alice.token, body: { body } });
  await h.service.dispatcher.runOnce();
  return r.json.id;
}
/** Moves every push of the message (and its repeat bookkeeping) `minutes` into the past. */
async function age(messageId: string, minutes: number): Promise<void> {
  await owner.query(
    `UPDATE hmk.push_outbox SET delivered_at = delivered_at - make_interval(mins => $2) WHERE message_id = $1`,
    [messageId, minutes],
  );
  await owner.query(`UPDATE hmk.push_repeats SET last_at = last_at - make_interval(mins => $2) WHERE message_id = $1`, [
    messageId,
    minutes,
  ]);
}
const pushesFor = async (messageId: string) =>
  (
    await owner.query('SELECT count(*)::int AS n FROM hmk.push_outbox WHERE message_id = $1 AND recipient_id = $2', [
      messageId,
      bob.id,
    ])
  ).rows[0].n;

test('an unread message is pushed again after N minutes, at most K times, with ids only', async () => {
  const id = await sendAndDeliver('please call the ward');
  assert.equal(await h.service.dispatcher.queueRepeats(), 0, 'not yet due');
  await age(id, 6);
  assert.equal(await h.service.dispatcher.queueRepeats(), 1);
  assert.equal(await h.service.dispatcher.queueRepeats(), 0, 'once per interval, not once per check');
  const before = h.sink.delivered.length;
  await h.service.dispatcher.runOnce();
  assert.equal(h.sink.delivered.length, before + 1);
  assert.deepEqual(Object.keys(h.sink.delivered.at(-1)!).sort(), Object.keys(h.sink.delivered[0]).sort());
  assert.ok(!JSON.stringify(h.sink.delivered.at(-1)).includes('ward'), 'no text in the push');
  await age(id, 6);
  assert.equal(await h.service.dispatcher.queueRepeats(), 1);
  await h.service.dispatcher.runOnce();
  await age(id, 6);
  assert.equal(await h.service.dispatcher.queueRepeats(), 0, 'K = 2 repeats at most');
  assert.equal(await pushesFor(id), 3);
});

test('a read or a recall stops the repeats', async () => {
  const read = await sendAndDeliver('read me');
  const recalled = await sendAndDeliver('recall me');
  const marked = await h.request('POST', `/v1/conversations/${conv}/read`, { token: bob.token, body: { upTo: read } });
  assert.equal(marked.status, 200);
  const r = await h.request('DELETE', `/v1/conversations/${conv}/messages/${recalled}`, { token: alice.token });
  assert.equal(r.status, 200);
  await age(read, 6);
  await age(recalled, 6);
  await h.service.dispatcher.queueRepeats();
  assert.equal(await pushesFor(read), 1);
  assert.equal(await pushesFor(recalled), 1);
});

test('off by default', async () => {
  const plain = await createHarness();
  try {
    assert.equal(plain.config.push.repeatAfterMinutes, 0);
    assert.equal(await plain.service.dispatcher.queueRepeats(), 0);
  } finally {
    await plain.close();
  }
});
