// Break-glass (P04, 164.312(a)(2)(ii)): admin/auditor only, for a conversation they are not part of, with a
// reason; a high-severity audit entry and an ops notice (ids only); every read in the window audited as
// break-glass; 404 again after expiry; enforced in Postgres as well as in the service.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalNotifySink } from '../src/notify/sink.js';
import { SnsNotifier } from '../src/notify/sns.js';
import { asRoles, createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let sink: LocalNotifySink;
let alice: TestUser, bob: TestUser, member: TestUser, admin: TestUser, auditor: TestUser;
let conv: string; // alice + bob
let adminConv: string; // admin + alice
const REASON = 'Subpoena 4411 requires review of this thread';

before(async () => {
  h = await createHarness();
  sink = h.service.notifier as LocalNotifySink;
  assert.ok(sink instanceof LocalNotifySink, 'tests run with the local notify sink');
  alice = await h.user('alice');
  bob = await h.user('bob');
  member = await h.user('pat', { groups: ['member'] });
  admin = await h.user('admin', { groups: ['admin'] });
  auditor = await h.user('auditor', { groups: ['auditor'] });
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  adminConv = (
    await h.request('POST', '/v1/conversations', { token: admin.token, body: { participantIds: [alice.id] } })
  ).json.id;
  for (let i = 0; i < 5; i++) {
    const u = i % 2 ? bob : alice;
    assert.equal(
      (await h.request('POST', `/v1/conversations/${conv}/messages`, { token: u.token, body: { body: `note ${i}` } }))
        .status,
      201,
    );
  }
});
after(() => h.close());

const open = (u: TestUser, id: string, reason: unknown = REASON) =>
  h.request('POST', `/v1/conversations/${id}/break-glass`, { token: u.token, body: { reason } });
const get = (u: TestUser, url: string) => h.request('GET', url, { token: u.token });

test('members and clinicians get 403; nothing is granted', async () => {
  for (const u of [member, alice]) {
    const r = await open(u, conv);
    assert.equal(r.status, 403);
    assert.match(r.json.message, /admin or auditor/);
    assert.equal((await get(u, '/v1/break-glass')).status, 403);
  }
  const db = await h.owner();
  assert.equal((await db.query('SELECT count(*)::int AS n FROM hmk.break_glass_grants')).rows[0].n, 0);
});

test('a reason under 20 characters is refused naming body.reason', async () => {
  for (const reason of ['too short', '      padded     ', 'x'.repeat(5) + ' '.repeat(20)]) {
    const r = await open(auditor, conv, reason);
    assert.equal(r.status, 400, reason);
    assert.match(r.json.message, /^body\.reason /);
  }
  assert.match(
    (await h.request('POST', `/v1/conversations/${conv}/break-glass`, { token: auditor.token, body: {} })).json.message,
    /body\.reason/,
  );
});

test('a participant gets 409 (just read it); an unknown conversation 404', async () => {
  const r = await open(admin, adminConv);
  assert.equal(r.status, 409);
  assert.match(r.json.message, /read it directly/);
  assert.equal((await open(admin, randomUUID())).status, 404);
});

test('before any grant, admin and auditor see the conversation as missing', async () => {
  for (const u of [admin, auditor]) {
    assert.equal((await get(u, `/v1/conversations/${conv}`)).status, 404);
    assert.equal((await get(u, `/v1/conversations/${conv}/messages`)).status, 404);
  }
});

test('happy path: grant, audit, ops notice with ids only, every read audited as break-glass', async () => {
  const db = await h.owner();
  const sentBefore = sink.sent.length;
  const t0 = Date.now();
  const r = await open(auditor, conv);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const { grantId, expiresAt } = r.json;
  assert.equal(r.json.conversationId, conv);
  const minutes = (Date.parse(expiresAt) - t0) / 60_000;
  assert.ok(minutes > 59 && minutes <= 60.1, `window of ${minutes} minutes`);

  // The grant holds the reason; the audit row and the notice do not.
  const grant = (await db.query('SELECT * FROM hmk.break_glass_grants WHERE id = $1', [grantId])).rows[0];
  assert.equal(grant.reason, REASON);
  assert.equal(grant.user_id, auditor.id);
  const opened = (await db.query("SELECT * FROM hmk.audit_log WHERE action = 'break_glass.open' AND outcome = 'ok'"))
    .rows;
  assert.equal(opened.length, 1);
  assert.equal(opened[0].severity, 'high');
  assert.equal(opened[0].actor_id, auditor.id);
  assert.deepEqual(opened[0].detail, { grantId, expiresAt });
  assert.ok(opened[0].target_ids.includes(conv));
  assert.doesNotMatch(JSON.stringify(opened[0]), /Subpoena/);

  assert.equal(sink.sent.length, sentBefore + 1);
  const notice = sink.sent.at(-1)!;
  assert.deepEqual(Object.keys(notice).sort(), [
    'conversationId',
    'event',
    'expiresAt',
    'grantId',
    'openedAt',
    'userId',
  ]);
  assert.deepEqual(
    { ...notice, openedAt: undefined },
    {
      event: 'break_glass.open',
      grantId,
      conversationId: conv,
      userId: auditor.id,
      openedAt: undefined,
      expiresAt,
    },
  );
  const noticeText = JSON.stringify(sink.sent);
  for (const secret of ['Subpoena', 'note 0', 'alice', 'bob', 'Display'])
    assert.ok(!noticeText.includes(secret), secret);

  // Reads in the window: the conversation, the messages, a second page.
  const c = await get(auditor, `/v1/conversations/${conv}`);
  assert.equal(c.status, 200);
  assert.deepEqual(c.json.participantIds, [alice.id, bob.id].sort());
  const page1 = await get(auditor, `/v1/conversations/${conv}/messages?limit=3`);
  assert.equal(page1.status, 200);
  assert.deepEqual(
    page1.json.map((m: { body: string }) => m.body),
    ['note 4', 'note 3', 'note 2'],
  );
  const page2 = await get(auditor, `/v1/conversations/${conv}/messages?limit=3&before=${page1.json[2].id}`);
  assert.deepEqual(
    page2.json.map((m: { body: string }) => m.body),
    ['note 1', 'note 0'],
  );

  const reads = (
    await db.query(
      `SELECT action, severity, detail, target_ids FROM hmk.audit_log
      WHERE actor_id = $1 AND $2 = ANY (target_ids) AND id > $3 ORDER BY id`,
      [auditor.id, conv, opened[0].id],
    )
  ).rows;
  assert.deepEqual(
    reads.map((x) => x.action),
    ['conversation.read.break_glass', 'message.read.break_glass', 'message.read.break_glass'],
  );
  for (const x of reads) {
    assert.equal(x.severity, 'high');
    assert.deepEqual(x.detail, { grantId });
  }
  assert.equal(reads[1].target_ids.length, 1 + 3, 'the read names every message returned');

  // Lists never show it, writes stay refused, and the grant is the auditor's alone.
  assert.ok(!(await get(auditor, '/v1/conversations')).json.some((x: { id: string }) => x.id === conv));
  assert.equal(
    (await h.request('POST', `/v1/conversations/${conv}/messages`, { token: auditor.token, body: { body: 'x' } }))
      .status,
    404,
  );
  assert.equal((await get(admin, `/v1/conversations/${conv}/messages`)).status, 404);

  // Participants' own reads stay ordinary.
  await get(alice, `/v1/conversations/${conv}/messages`);
  const own = (
    await db.query(
      "SELECT action, severity FROM hmk.audit_log WHERE actor_id = $1 AND action LIKE 'message.read%' ORDER BY id DESC LIMIT 1",
      [alice.id],
    )
  ).rows[0];
  assert.deepEqual(own, { action: 'message.read', severity: null });

  // Nothing in the service's logs names the reason.
  assert.ok(!h.logs.join('').includes('Subpoena'));
});

test('GET /v1/break-glass lists grants without reasons; the single read shows the reason and is audited high', async () => {
  const r = await get(admin, '/v1/break-glass');
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 1);
  assert.equal('reason' in r.json[0], false, 'lists never carry the reason (it may hold PHI)');
  assert.equal(r.json[0].userId, auditor.id);
  assert.equal(r.json[0].conversationId, conv);
  assert.equal(r.json[0].active, true);
  const db = await h.owner();
  const row = (
    await db.query("SELECT * FROM hmk.audit_log WHERE action = 'break_glass.list' AND actor_id = $1", [admin.id])
  ).rows[0];
  assert.deepEqual(row.target_ids, [r.json[0].id]);
  const one = await get(admin, `/v1/break-glass/${r.json[0].id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json.reason, REASON);
  const read = (
    await db.query("SELECT * FROM hmk.audit_log WHERE action = 'break_glass.read' AND actor_id = $1", [admin.id])
  ).rows[0];
  assert.deepEqual([read.severity, read.target_ids], ['high', [r.json[0].id, conv]]);
  assert.doesNotMatch(JSON.stringify([row, read]), /Subpoena/);
  assert.equal((await get(admin, `/v1/break-glass/${conv}`)).status, 404);
});

test('a second request while a grant is active is a 409 naming its expiry, with no second grant or notice', async () => {
  const db = await h.owner();
  const count = async () => (await db.query('SELECT count(*)::int AS n FROM hmk.break_glass_grants')).rows[0].n;
  const before = await count();
  const notices = sink.sent.length;
  const again = await h.request('POST', `/v1/conversations/${conv}/break-glass`, {
    token: auditor.token,
    body: { reason: REASON },
  });
  assert.equal(again.status, 409);
  assert.match(again.json.message, /already hold a break-glass grant for this conversation until \d{4}-\d\d-\d\dT/);
  assert.equal(await count(), before);
  assert.equal(sink.sent.length, notices);
});

test('after expiry the conversation is 404 again', async () => {
  const db = await h.owner();
  await db.query(
    `UPDATE hmk.break_glass_grants SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
                   WHERE user_id = $1`,
    [auditor.id],
  );
  assert.equal((await get(auditor, `/v1/conversations/${conv}`)).status, 404);
  assert.equal((await get(auditor, `/v1/conversations/${conv}/messages`)).status, 404);
  assert.equal((await get(admin, '/v1/break-glass')).json[0].active, false);
});

test('if the ops notice cannot be sent, no access is granted (503) and the refusal is audited as high severity', async () => {
  const db = await h.owner();
  const before = (await db.query('SELECT count(*)::int AS n FROM hmk.break_glass_grants')).rows[0].n;
  sink.failWith = new Error('topic unreachable');
  try {
    const r = await open(admin, conv);
    assert.equal(r.status, 503);
    assert.match(r.json.message, /not granted/);
  } finally {
    sink.failWith = undefined;
  }
  assert.equal((await db.query('SELECT count(*)::int AS n FROM hmk.break_glass_grants')).rows[0].n, before);
  assert.equal((await get(admin, `/v1/conversations/${conv}`)).status, 404);
  const rows = (
    await db.query("SELECT * FROM hmk.audit_log WHERE action = 'break_glass.open' AND actor_id = $1 AND status = 503", [
      admin.id,
    ])
  ).rows;
  assert.equal(rows.length, 1, 'exactly one audit row for the refused attempt');
  assert.equal(rows[0].outcome, 'error');
  assert.equal(rows[0].status, 503);
  assert.equal(rows[0].severity, 'high');
  assert.deepEqual(rows[0].detail, { notified: false });
  // A retry once the topic is back works.
  assert.equal((await open(admin, conv)).status, 201);
});

test('Postgres refuses wrong roles on its own', async () => {
  // Opening a grant: only admin/auditor, never a participant, always a reason.
  await assert.rejects(
    asRoles(h, member, ['member'], 'SELECT * FROM hmk.open_break_glass($1, $2, 60)', [conv, REASON]),
    { code: '42501' },
  );
  await assert.rejects(
    asRoles(h, alice, ['clinician'], 'SELECT * FROM hmk.open_break_glass($1, $2, 60)', [adminConv, REASON]),
    { code: '42501' },
  );
  await assert.rejects(
    asRoles(h, admin, ['admin'], 'SELECT * FROM hmk.open_break_glass($1, $2, 60)', [adminConv, REASON]),
    { code: 'HM409' },
  );
  await assert.rejects(
    asRoles(h, auditor, ['auditor'], 'SELECT * FROM hmk.open_break_glass($1, $2, 60)', [conv, 'short']),
    { code: 'HM400' },
  );
  // Grants are visible to reviewers only.
  assert.equal((await asRoles(h, alice, ['clinician'], 'SELECT * FROM hmk.break_glass_grants')).rowCount, 0);
  assert.ok((await asRoles(h, auditor, ['auditor'], 'SELECT * FROM hmk.break_glass_grants')).rowCount! > 0);
  // nobody may change a grant (no UPDATE/DELETE privilege at all).
  await assert.rejects(
    asRoles(h, auditor, ['auditor'], "UPDATE hmk.break_glass_grants SET expires_at = now() + interval '1 day'"),
    { code: '42501' },
  );
  // The admin holds an active grant (from the retry above): it counts only while the admin role is held.
  const read = 'SELECT count(*)::int AS n FROM hmk.read_messages($1, $2, 900, $3, $4, NULL, 50, NULL, NULL, $5)';
  const asAdmin = await asRoles(h, admin, ['admin'], read, [admin.id, admin.sessionId, ['admin'], conv, 'req-1']);
  assert.equal(asAdmin.rows[0].n, 5);
  await assert.rejects(asRoles(h, admin, ['member'], read, [admin.id, admin.sessionId, ['member'], conv, 'req-2']), {
    code: 'HM404',
  });
  assert.equal(
    (
      await asRoles(h, admin, ['member'], 'SELECT count(*)::int AS n FROM hmk.messages WHERE conversation_id = $1', [
        conv,
      ])
    ).rows[0].n,
    0,
  );
  // The auditor's grant expired: no messages, no bodies, no participants.
  for (const table of ['hmk.messages', 'hmk.message_bodies', 'hmk.participants', 'hmk.conversations']) {
    const col = table === 'hmk.conversations' ? 'id' : 'conversation_id';
    assert.equal(
      (await asRoles(h, auditor, ['auditor'], `SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [conv]))
        .rows[0].n,
      0,
      table,
    );
  }
});

test('the SNS notifier publishes the notice, ids only, to the ops topic; a failed publish rejects', async () => {
  const sns = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const m = mockClient(sns);
  m.on(PublishCommand).resolves({ MessageId: 'm-1' });
  const topic = 'arn:aws:sns:us-east-1:111122223333:hmk-ops';
  const notice = {
    event: 'break_glass.open' as const,
    grantId: randomUUID(),
    conversationId: conv,
    userId: auditor.id,
    openedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  };
  await new SnsNotifier(sns, topic).notify(notice);
  const [call] = m.commandCalls(PublishCommand);
  assert.equal(call.args[0].input.TopicArn, topic);
  assert.deepEqual(JSON.parse(call.args[0].input.Message!), notice);
  assert.doesNotMatch(JSON.stringify(call.args[0].input), /Subpoena|alice|bob/);
  m.on(PublishCommand).rejects(new Error('AuthorizationError'));
  await assert.rejects(new SnsNotifier(sns, topic).notify(notice), /AuthorizationError/);
  m.restore();
});
