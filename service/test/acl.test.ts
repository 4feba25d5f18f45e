// Access matrix: users × conversations × operations. Non-members get 404, exactly like a
// conversation that does not exist, so existence does not leak.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
const users: Record<string, TestUser> = {};
const convs: Record<string, string> = {};
const members: Record<string, string[]> = {
  direct: ['alice', 'bob'],
  group: ['bob', 'carol', 'dave'],
  e2e: ['alice', 'carol'],
};

before(async () => {
  h = await createHarness({ MAX_GROUP_SIZE: '4' });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'eve']) users[name] = await h.user(name);
  for (const [key, [creator, ...others]] of Object.entries(members)) {
    const r = await h.request('POST', '/v1/conversations', {
      token: users[creator].token,
      body: { participantIds: others.map((o) => users[o].id), endToEnd: key === 'e2e' },
    });
    assert.equal(r.status, 201);
    convs[key] = r.json.id;
  }
  convs.missing = randomUUID();
});
after(() => h.close());

type Op = (u: TestUser, conv: string) => Promise<number>;
const ops: Record<string, { op: Op; allowed: number }> = {
  'read conversation': {
    op: async (u, c) => (await h.request('GET', `/v1/conversations/${c}`, { token: u.token })).status,
    allowed: 200,
  },
  'list messages': {
    op: async (u, c) => (await h.request('GET', `/v1/conversations/${c}/messages`, { token: u.token })).status,
    allowed: 200,
  },
  'send message': {
    op: async (u, c) =>
      (
        await h.request('POST', `/v1/conversations/${c}/messages`, {
          token: u.token,
          body: { body: `hi from ${u.username}` },
        })
      ).status,
    allowed: 201,
  },
};

test('matrix: members are allowed, everyone else gets 404', async () => {
  const failures: string[] = [];
  let cells = 0;
  for (const [uname, user] of Object.entries(users)) {
    for (const [ckey, conv] of Object.entries(convs)) {
      for (const [oname, { op, allowed }] of Object.entries(ops)) {
        const expected = members[ckey]?.includes(uname) ? allowed : 404;
        const got = await op(user, conv);
        cells += 1;
        if (got !== expected) failures.push(`${uname} × ${ckey} × ${oname}: expected ${expected}, got ${got}`);
      }
    }
  }
  assert.equal(cells, 5 * 4 * 3);
  assert.deepEqual(failures, []);
});

test('conversation lists hold exactly my conversations and no message text', async () => {
  for (const [uname, user] of Object.entries(users)) {
    const r = await h.request('GET', '/v1/conversations', { token: user.token });
    assert.equal(r.status, 200);
    const expected = Object.entries(members)
      .filter(([, m]) => m.includes(uname))
      .map(([k]) => convs[k])
      .sort();
    assert.deepEqual(r.json.map((c: { id: string }) => c.id).sort(), expected, uname);
    assert.doesNotMatch(JSON.stringify(r.json), /hi from/);
  }
});

test('messages read back only inside the conversation, newest first, with server timestamps', async () => {
  const r = await h.request('GET', `/v1/conversations/${convs.group}/messages`, { token: users.carol.token });
  assert.deepEqual(r.json.map((m: { body: string }) => m.body).sort(), [
    'hi from bob',
    'hi from carol',
    'hi from dave',
  ]);
  const times = r.json.map((m: { createdAt: string }) => Date.parse(m.createdAt));
  assert.deepEqual(
    times,
    [...times].sort((a: number, b: number) => b - a),
  );
});

test('not-yours and not-found give the same 404 body', async () => {
  const r = await h.request('GET', `/v1/conversations/${convs.direct}`, { token: users.eve.token });
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, { error: 'not_found', message: 'conversation not found' });
  const missing = await h.request('GET', `/v1/conversations/${convs.missing}`, { token: users.eve.token });
  assert.deepEqual(missing.json, r.json, 'not-yours and not-found are indistinguishable');
});

test('concurrent sends batched together keep per-message access control and audit', async () => {
  const db = await h.owner();
  const count = async () =>
    (await db.query('SELECT count(*)::int AS n FROM hmk.messages WHERE conversation_id = $1', [convs.direct])).rows[0]
      .n;
  const before = await count();
  const senders = Array.from({ length: 40 }, (_, i) => (i % 2 ? users.alice : users.eve));
  const results = await Promise.all(
    senders.map((u) =>
      h.request('POST', `/v1/conversations/${convs.direct}/messages`, {
        token: u.token,
        body: { body: `batch from ${u.username}` },
      }),
    ),
  );
  results.forEach((r, i) => assert.equal(r.status, senders[i] === users.alice ? 201 : 404));
  assert.equal(await count(), before + 20);
  const audit = await db.query(
    "SELECT actor_id, outcome, count(*)::int AS n FROM hmk.audit_log WHERE action = 'message.send' AND actor_id = ANY($1::uuid[]) GROUP BY 1, 2",
    [[users.alice.id, users.eve.id]],
  );
  const byActor = Object.fromEntries(
    audit.rows.map((r) => [`${r.actor_id === users.alice.id ? 'alice' : 'eve'}:${r.outcome}`, r.n]),
  );
  assert.ok(byActor['alice:ok'] >= 20);
  assert.ok(byActor['eve:denied'] >= 20);
  const leaked = await db.query('SELECT count(*)::int AS n FROM hmk.messages WHERE sender_id = $1', [users.eve.id]);
  assert.equal(leaked.rows[0].n, 0);
});
