// The event stream over real WebSockets, through two service instances sharing one database: live delivery across
// instances (LISTEN/NOTIFY), replay with after=, the ticket rules, and the things that stop delivery at once (a
// participant removed, an account closed, idle logoff).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startService, type Service } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { asRoles, baseEnv, createHarness, type Harness, type TestUser } from './helpers.js';

export interface Frame {
  id: number;
  type: string;
  conversationId: string;
  at: string;
  messageId?: string;
  senderId?: string;
  userId?: string;
  body?: string | null;
}

export interface Client {
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(pred: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  close(): Promise<void>;
}

/** Opens the stream on `base` (http://host:port) with a ticket issued through `h` (any instance). */
export async function openStream(base: string, ticket: string, afterId?: number): Promise<Client> {
  const url = `${base.replace('http', 'ws')}/v1/events?ticket=${encodeURIComponent(ticket)}${afterId === undefined ? '' : `&after=${afterId}`}`;
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    frames,
    closed,
    waitFor(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(pred);
          if (f) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(f);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames.map((f) => f.type))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async close() {
      ws.close(1000);
      await closed;
    },
  };
}

/** The upgrade's HTTP status when it is refused (0 if it was accepted). */
async function refusedStatus(url: string): Promise<number> {
  const ws = new WebSocket(url);
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close();
      resolve(0);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? -1));
    ws.once('error', () => resolve(-1));
  });
}

let h: Harness;
let other: Service;
let baseA: string;
let baseB: string;
let alice: TestUser;
let bob: TestUser;
let conv: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ticket(u: TestUser): Promise<string> {
  const r = await h.request('POST', '/v1/events/ticket', { token: u.token });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.ok(Date.parse(r.json.expiresAt) - Date.now() <= 60_000);
  return r.json.ticket;
}

async function send(u: TestUser, body: string, c = conv): Promise<string> {
  const r = await h.request('POST', `/v1/conversations/${c}/messages`, { token: u.token, body: { body } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.id;
}

before(async () => {
  h = await createHarness();
  // A second instance on the same database, sharing the master key (as two tasks behind the ALB share KMS).
  other = await startService(loadConfig({ ...baseEnv(h.dbUrl, h.issuer), MIGRATE_ON_START: 'false' }), {
    keyProvider: h.keyring,
    push: h.sink,
  });
  baseA = await h.service.app.listen({ host: '127.0.0.1', port: 0 });
  baseB = await other.app.listen({ host: '127.0.0.1', port: 0 });
  alice = await h.user('alice');
  bob = await h.user('bob');
  const r = await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } });
  conv = r.json.id;
});
after(async () => {
  await other.close();
  await h.close();
});

test('two users chat through two instances: the message, its body and the delivery receipt arrive live', async () => {
  const bobSocket = await openStream(baseB, await ticket(bob)); // ticket from instance A, socket on B
  const aliceSocket = await openStream(baseA, await ticket(alice));
  const id = await send(alice, 'hello bob, over the wire');
  const created = await bobSocket.waitFor((f) => f.type === 'message.created' && f.messageId === id);
  assert.equal(created.body, 'hello bob, over the wire');
  assert.equal(created.senderId, alice.id);
  assert.equal(created.conversationId, conv);
  const delivered = await aliceSocket.waitFor((f) => f.type === 'message.delivered' && f.messageId === id);
  assert.equal(delivered.userId, bob.id);
  // The reply goes the other way: sent through B, held by A.
  const reply = await other.app.inject({
    method: 'POST',
    url: `/v1/conversations/${conv}/messages`,
    headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ body: 'hi alice' }),
  });
  assert.equal(reply.statusCode, 201);
  const back = await aliceSocket.waitFor((f) => f.type === 'message.created' && f.messageId === reply.json().id);
  assert.equal(back.body, 'hi alice');
  // Ids are per user and increase by one.
  const ids = bobSocket.frames.map((f) => f.id);
  assert.deepEqual(
    ids,
    ids.map((_, i) => ids[0] + i),
  );
  await Promise.all([bobSocket.close(), aliceSocket.close()]);
});

test('a reconnect with after= replays exactly the missed events, in order, then live ones', async () => {
  const first = await openStream(baseB, await ticket(bob));
  const seen = await send(alice, 'before the drop');
  const last = await first.waitFor((f) => f.messageId === seen);
  await first.close();
  const missed = [await send(alice, 'missed 1'), await send(alice, 'missed 2'), await send(alice, 'missed 3')];
  const again = await openStream(baseA, await ticket(bob), last.id);
  await again.waitFor((f) => f.messageId === missed[2]);
  const live = await send(alice, 'live again');
  await again.waitFor((f) => f.messageId === live);
  assert.deepEqual(
    again.frames.map((f) => [f.id, f.type, f.messageId, f.body]),
    [
      [last.id + 1, 'message.created', missed[0], 'missed 1'],
      [last.id + 2, 'message.created', missed[1], 'missed 2'],
      [last.id + 3, 'message.created', missed[2], 'missed 3'],
      [last.id + 4, 'message.created', live, 'live again'],
    ],
  );
  await again.close();
});

test('tickets: one use, refused before the upgrade, never a bearer token in the URL; refusals are audited', async () => {
  const t = await ticket(bob);
  const s = await openStream(baseA, t);
  const wsA = baseA.replace('http', 'ws');
  assert.equal(await refusedStatus(`${wsA}/v1/events?ticket=${t}`), 401, 'a used ticket');
  assert.equal(await refusedStatus(`${wsB()}/v1/events?ticket=${t}`), 401, 'a used ticket on the other instance');
  assert.equal(await refusedStatus(`${wsA}/v1/events?ticket=not-a-ticket`), 401, 'an unknown ticket');
  assert.equal(await refusedStatus(`${wsA}/v1/events`), 400, 'no ticket');
  const plain = await fetch(`${baseA}/v1/events?ticket=${await ticket(bob)}`);
  assert.equal(plain.status, 426);
  const noToken = await fetch(`${baseA}/v1/events/ticket`, { method: 'POST' });
  assert.equal(noToken.status, 401);
  await s.close();
  await h.service.refusals.flush(true);
  const owner = await h.owner();
  const { rows } = await owner.query(
    `SELECT action, status, actor_id, source_ip::text AS ip, detail FROM hmk.audit_log
      WHERE action LIKE 'events.%' ORDER BY id`,
  );
  assert.ok(rows.some((r) => r.action === 'events.stream' && r.status === 101 && r.actor_id === bob.id && r.ip));
  assert.ok(
    rows.some((r) => r.action === 'events.stream' && r.status === 401),
    'a refused upgrade is audited',
  );
  assert.ok(rows.some((r) => r.action === 'events.stream.close' && r.actor_id === bob.id && r.detail.code === 1000));
  assert.ok(rows.some((r) => r.action === 'events.ticket' && r.status === 201 && r.actor_id === bob.id));
});
const wsB = () => baseB.replace('http', 'ws');

test('access is re-checked on every delivery: a removed participant receives nothing more', async () => {
  const carol = await h.user('carol');
  const group = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id, carol.id] } })
  ).json.id;
  const carolSocket = await openStream(baseB, await ticket(carol), 0);
  const started = await carolSocket.waitFor((f) => f.type === 'conversation.created' && f.conversationId === group);
  assert.equal((started as unknown as { createdBy: string }).createdBy, alice.id);
  const before = await send(alice, 'for the group', group);
  await carolSocket.waitFor((f) => f.messageId === before);
  const owner = await h.owner();
  await owner.query('DELETE FROM hmk.participants WHERE conversation_id = $1 AND user_id = $2', [group, carol.id]);
  const removed = await send(alice, 'not for carol any more', group);
  const bobSocket = await openStream(baseA, await ticket(bob), 0);
  await bobSocket.waitFor((f) => f.messageId === removed); // it was sent and delivered to the others
  await sleep(300);
  assert.equal(carolSocket.frames.filter((f) => f.messageId === removed).length, 0);
  await Promise.all([carolSocket.close(), bobSocket.close()]);
});

test('a closed account is disconnected at once (4002)', async () => {
  const admin = await h.user('admin-events', { groups: ['admin'] });
  const dave = await h.user('dave');
  const s = await openStream(baseB, await ticket(dave));
  const r = await h.request('POST', `/v1/contacts/${dave.id}/close`, { token: admin.token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const closed = await Promise.race([s.closed, sleep(3000).then(() => ({ code: 0, reason: 'still open' }))]);
  assert.deepEqual(closed, { code: 4002, reason: 'account closed' });
});

test('per-user socket limit, and no body, token or ticket in any log line', async () => {
  const eve = await h.user('eve');
  const open = [];
  for (let i = 0; i < h.config.events.maxSocketsPerUser; i++) open.push(await openStream(baseA, await ticket(eve)));
  assert.equal(await refusedStatus(`${baseA.replace('http', 'ws')}/v1/events?ticket=${await ticket(eve)}`), 429);
  await Promise.all(open.map((s) => s.close()));
  const t = await ticket(eve);
  const joined = h.logs.join('\n');
  for (const secret of [t, alice.token, bob.token, 'hello bob, over the wire', 'missed 2']) {
    assert.ok(!joined.includes(secret), 'a secret reached the logs');
  }
});

test('idle logoff: receiving events is not activity; the socket closes with 4001 and a new ticket needs a sign-in', async () => {
  const idle = await createHarness({ IDLE_TIMEOUT_SECONDS: '2' });
  try {
    const base = await idle.service.app.listen({ host: '127.0.0.1', port: 0 });
    const x = await idle.user('x');
    const y = await idle.user('y');
    const c = (await idle.request('POST', '/v1/conversations', { token: x.token, body: { participantIds: [y.id] } }))
      .json.id;
    const t = await idle.request('POST', '/v1/events/ticket', { token: y.token });
    const s = await openStream(base, t.json.ticket);
    // x keeps talking (x stays active); y only receives.
    const started = Date.now();
    const talk = setInterval(() => {
      void idle.request('POST', `/v1/conversations/${c}/messages`, { token: x.token, body: { body: 'ping' } });
    }, 300);
    const closed = await Promise.race([s.closed, sleep(6000).then(() => ({ code: 0, reason: 'still open' }))]);
    clearInterval(talk);
    assert.equal(closed.code, 4001, JSON.stringify(closed));
    assert.match(closed.reason, /inactivity/);
    assert.ok(Date.now() - started >= 1000);
    assert.ok(s.frames.length > 0, 'it received events while idle');
    const again = await idle.request('POST', '/v1/events/ticket', { token: y.token });
    assert.equal(again.status, 401);
  } finally {
    await idle.close();
  }
});

test('read receipts: POST .../read marks up to a message, the sender sees message.read and the receipts', async () => {
  const carol = await h.user('carol-r');
  const group = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id, carol.id] } })
  ).json.id;
  const aliceSocket = await openStream(baseA, await ticket(alice));
  const m1 = await send(alice, 'first', group);
  const m2 = await send(alice, 'second', group);
  // Bob's client fetches the page (a read delivers); Carol has not opened anything yet.
  const page = await h.request('GET', `/v1/conversations/${group}/messages`, { token: bob.token });
  assert.equal(page.status, 200);
  await aliceSocket.waitFor((f) => f.type === 'message.delivered' && f.messageId === m2 && f.userId === bob.id);
  const read = await h.request('POST', `/v1/conversations/${group}/read`, { token: bob.token, body: { upTo: m2 } });
  assert.deepEqual(read.json, { conversationId: group, upTo: m2, marked: 2 });
  const readEvent = await aliceSocket.waitFor((f) => f.type === 'message.read');
  assert.deepEqual([readEvent.messageId, readEvent.userId], [m2, bob.id]);
  // Marking again marks nothing new and sends no second event.
  const again = await h.request('POST', `/v1/conversations/${group}/read`, { token: bob.token, body: { upTo: m1 } });
  assert.equal(again.json.marked, 0);

  const receipts = await h.request('GET', `/v1/conversations/${group}/messages/${m1}/receipts`, { token: alice.token });
  assert.equal(receipts.status, 200);
  const byUser = Object.fromEntries(receipts.json.map((r: any) => [r.userId, r]));
  assert.ok(byUser[bob.id].deliveredAt && byUser[bob.id].readAt);
  assert.deepEqual([byUser[carol.id].deliveredAt, byUser[carol.id].readAt], [null, null]);
  // Only the sender (or break-glass) sees receipts; a non-participant's read of a message is a 404 like any other.
  const notSender = await h.request('GET', `/v1/conversations/${group}/messages/${m1}/receipts`, { token: bob.token });
  assert.equal(notSender.status, 404);
  const outsider = await h.user('outsider-r');
  const foreign = await h.request('POST', `/v1/conversations/${group}/read`, {
    token: outsider.token,
    body: { upTo: m1 },
  });
  assert.equal(foreign.status, 404);
  await aliceSocket.close();
  const owner = await h.owner();
  const { rows } = await owner.query(
    `SELECT action, target_ids FROM hmk.audit_log WHERE action IN ('message.mark_read', 'message.receipts.read')
      AND status = 200 ORDER BY id`,
  );
  assert.deepEqual(
    rows.map((r) => r.action),
    ['message.mark_read', 'message.mark_read', 'message.receipts.read'],
  );
});

test('recall: the body goes, readers see recalled, participants get message.recalled, undelivered pushes drop', async () => {
  const device = await h.request('POST', '/v1/devices', {
    token: bob.token,
    body: { platform: 'fcm', token: 'recall-dev' },
  });
  assert.equal(device.status, 201);
  const bobSocket = await openStream(baseB, await ticket(bob));
  await h.service.dispatcher.stop(); // so the push is still undelivered when the recall comes
  await other.dispatcher.stop();
  const id = await send(alice, 'I should not have sent this');
  await bobSocket.waitFor((f) => f.type === 'message.created' && f.messageId === id);
  const owner = await h.owner();
  const pending = async () =>
    (
      await owner.query(
        'SELECT count(*)::int AS n FROM hmk.push_outbox WHERE message_id = $1 AND delivered_at IS NULL',
        [id],
      )
    ).rows[0].n;
  assert.equal(await pending(), 1);

  const notSender = await h.request('DELETE', `/v1/conversations/${conv}/messages/${id}`, { token: bob.token });
  assert.equal(notSender.status, 403);
  const r = await h.request('DELETE', `/v1/conversations/${conv}/messages/${id}`, { token: alice.token });
  assert.deepEqual([r.status, r.json], [200, { id, conversationId: conv, recalled: true }]);
  h.service.dispatcher.start();
  other.dispatcher.start();
  const recalled = await bobSocket.waitFor((f) => f.type === 'message.recalled' && f.messageId === id);
  assert.equal(recalled.senderId, alice.id);
  assert.equal(await pending(), 0, 'the undelivered push was dropped');
  const again = await h.request('DELETE', `/v1/conversations/${conv}/messages/${id}`, { token: alice.token });
  assert.equal(again.status, 409);

  const page = await h.request('GET', `/v1/conversations/${conv}/messages?limit=5`, { token: bob.token });
  assert.deepEqual(
    page.json.find((m: any) => m.id === id),
    {
      id,
      senderId: alice.id,
      body: null,
      createdAt: page.json.find((m: any) => m.id === id).createdAt,
      recalled: true,
    },
  );
  const body = await owner.query('SELECT count(*)::int AS n FROM hmk.message_bodies WHERE message_id = $1', [id]);
  assert.equal(body.rows[0].n, 0, 'the body is destroyed');
  // A replay no longer carries the recalled message, only its recall.
  const replay = await openStream(baseA, await ticket(bob), 0);
  await replay.waitFor((f) => f.type === 'message.recalled' && f.messageId === id);
  assert.equal(replay.frames.filter((f) => f.type === 'message.created' && f.messageId === id).length, 0);
  await Promise.all([bobSocket.close(), replay.close()]);
  const audit = await owner.query(
    "SELECT detail FROM hmk.audit_log WHERE action = 'message.recall' AND status = 200 AND $1 = ANY (target_ids)",
    [id],
  );
  assert.deepEqual(audit.rows[0].detail, { heldForLegalHold: false, attachments: 0, pushesDropped: 1 });
});

test('recall under a legal hold seals the body away from participants and keeps it for the hold', async () => {
  const admin = await h.user('admin-hold', { groups: ['admin'] });
  const hold = await h.request('POST', '/v1/legal-holds', {
    token: admin.token,
    body: { conversationId: conv, reason: 'events test: litigation hold' },
  });
  assert.equal(hold.status, 201, JSON.stringify(hold.json));
  const id = await send(alice, 'held then recalled');
  const r = await h.request('DELETE', `/v1/conversations/${conv}/messages/${id}`, { token: alice.token });
  assert.deepEqual(r.json, { id, conversationId: conv, recalled: true }, 'the sender is not told about the hold');
  const page = await h.request('GET', `/v1/conversations/${conv}/messages?limit=1`, { token: bob.token });
  assert.deepEqual([page.json[0].id, page.json[0].body, page.json[0].recalled], [id, null, true]);
  const owner = await h.owner();
  const kept = await owner.query('SELECT count(*)::int AS n FROM hmk.recalled_bodies WHERE message_id = $1', [id]);
  assert.equal(kept.rows[0].n, 1);
  await assert.rejects(asRoles(h, alice, ['clinician'], 'SELECT * FROM hmk.recalled_bodies'), /permission denied/);
  const audit = await owner.query(
    "SELECT detail FROM hmk.audit_log WHERE action = 'message.recall' AND status = 200 AND $1 = ANY (target_ids)",
    [id],
  );
  assert.equal(audit.rows[0].detail.heldForLegalHold, true);
});

test('a socket that stops answering pings is terminated and its close audited', async () => {
  const quick = await createHarness({ EVENTS_PING_SECONDS: '1' });
  try {
    const base = await quick.service.app.listen({ host: '127.0.0.1', port: 0 });
    const z = await quick.user('z');
    const t = await quick.request('POST', '/v1/events/ticket', { token: z.token });
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/events?ticket=${t.json.ticket}`);
    await new Promise((resolve) => ws.once('open', resolve));
    const pinged = new Promise((resolve) => ws.once('ping', resolve));
    await pinged; // a live client answers (ws does it by itself)
    assert.equal(quick.service.app.websocketServer.clients.size, 1);
    // Now the client goes silent: it stops reading, so it answers no more pings.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    while (quick.service.app.websocketServer.clients.size > 0 && Date.now() - started < 5000) await sleep(100);
    assert.equal(quick.service.app.websocketServer.clients.size, 0, 'the silent socket was terminated');
    ws.terminate();
    await sleep(200);
    const owner = await quick.owner();
    const { rows } = await owner.query("SELECT detail FROM hmk.audit_log WHERE action = 'events.stream.close'");
    assert.equal(rows[0]?.detail.code, 1006);
  } finally {
    await quick.close();
  }
});

test('an upgrade to any other route is refused before the socket opens', async () => {
  const url = `${baseA.replace('http', 'ws')}/v1/session`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${alice.token}` } });
  const status = await new Promise((resolve) => {
    ws.once('open', () => resolve(0));
    ws.once('unexpected-response', (_q, res) => resolve(res.statusCode));
    ws.once('error', () => resolve(-1));
  });
  assert.equal(status, 400);
});

test('back-pressure: a reader that stops reading is disconnected (4008), not buffered without bound', async () => {
  const slow = await createHarness({ EVENTS_MAX_BUFFERED_BYTES: '16384', MAX_MESSAGE_BYTES: '65536' });
  try {
    const base = await slow.service.app.listen({ host: '127.0.0.1', port: 0 });
    const p = await slow.user('p');
    const q = await slow.user('q');
    const c = (await slow.request('POST', '/v1/conversations', { token: p.token, body: { participantIds: [q.id] } }))
      .json.id;
    const t = await slow.request('POST', '/v1/events/ticket', { token: q.token });
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/events?ticket=${t.json.ticket}`);
    await new Promise((resolve) => ws.once('open', resolve));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(60_000);
    const owner = await slow.owner();
    const closeRow = async () =>
      (await owner.query("SELECT detail FROM hmk.audit_log WHERE action = 'events.stream.close'")).rows[0]?.detail;
    // Loopback kernel buffers hold several MB; keep sending until the server gives up on the reader.
    for (let i = 0; i < 600 && !(await closeRow()); i++) {
      const r = await slow.request('POST', `/v1/conversations/${c}/messages`, { token: p.token, body: { body: big } });
      assert.equal(r.status, 201);
    }
    for (let i = 0; i < 50 && !(await closeRow()); i++) await sleep(100);
    assert.equal((await closeRow())?.code, 4008);
    ws.terminate();
  } finally {
    await slow.close();
  }
});
