// Attachments end to end in local mode (real Postgres, files in a temporary directory): declare, upload to
// the presigned URL, complete, download, with the same rules S3 would enforce and the same access rules as
// messages. The S3 store itself is tested offline in attachments-s3.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAttachmentStore } from '../src/attachments/local.js';
import { createHarness, type Harness, type TestUser } from './helpers.js';

const MAX_BYTES = 4096;
const dir = mkdtempSync(join(tmpdir(), 'hmk-attachments-test-'));
let h: Harness;
let alice: TestUser, bob: TestUser, mallory: TestUser, auditor: TestUser;
let conv: string, msg: string;
before(async () => {
  h = await createHarness({ ATTACHMENTS_DIR: dir, ATTACHMENT_MAX_BYTES: String(MAX_BYTES) });
  alice = await h.user('alice');
  bob = await h.user('bob');
  mallory = await h.user('mallory');
  auditor = await h.user('auditor-ann', { groups: ['auditor'] });
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  msg = await send(alice, conv);
});
after(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(u: TestUser, conversationId: string): Promise<string> {
  const r = await h.request('POST', `/v1/conversations/${conversationId}/messages`, {
    token: u.token,
    body: { body: 'see the attached scan' },
  });
  assert.equal(r.status, 201);
  return r.json.id;
}

const base = (c: string, m: string) => `/v1/conversations/${c}/messages/${m}/attachments`;
const attach = (u: TestUser, body: unknown, c = conv, m = msg) =>
  h.request('POST', base(c, m), { token: u.token, body });
const complete = (u: TestUser, id: string, c = conv, m = msg) =>
  h.request('POST', `${base(c, m)}/${id}/complete`, { token: u.token });
const list = (u: TestUser, c = conv, m = msg) => h.request('GET', base(c, m), { token: u.token });
const download = (u: TestUser, id: string, c = conv, m = msg) =>
  h.request('GET', `${base(c, m)}/${id}/download`, { token: u.token });

interface Presigned {
  url: string;
  method: 'PUT' | 'GET';
  headers: Record<string, string>;
  expiresAt: string;
}

/** Sends exactly the presigned request, as a client would (optionally with changed headers). */
function fetchPresigned(p: Presigned, payload?: Buffer, headers: Record<string, string> = {}) {
  return h.service.app.inject({ method: p.method, url: p.url, headers: { ...p.headers, ...headers }, payload });
}

/** Declares, uploads and completes a file; returns the attachment id. */
async function readyAttachment(bytes: Buffer, contentType = 'application/pdf'): Promise<string> {
  const created = await attach(alice, { contentType, sizeBytes: bytes.length });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal((await fetchPresigned(created.json.upload, bytes)).statusCode, 200);
  assert.equal((await complete(alice, created.json.id)).status, 200);
  return created.json.id;
}

test('round trip: declare, PUT the bytes, complete, download the same bytes; one audit row per URL issued', async () => {
  const bytes = Buffer.concat([Buffer.from('%PNG-attachment-marker-7c1d '), randomBytes(1000)]);
  const created = await attach(alice, { contentType: 'IMAGE/PNG', sizeBytes: bytes.length });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const a = created.json;
  assert.deepEqual(
    {
      conversationId: a.conversationId,
      messageId: a.messageId,
      contentType: a.contentType,
      sizeBytes: a.sizeBytes,
      status: a.status,
    },
    { conversationId: conv, messageId: msg, contentType: 'image/png', sizeBytes: bytes.length, status: 'pending' },
  );
  assert.equal(a.upload.method, 'PUT');
  assert.deepEqual(a.upload.headers, { 'content-type': 'image/png', 'content-length': String(bytes.length) });
  const ttl = Date.parse(a.upload.expiresAt) - Date.now();
  assert.ok(ttl > 290_000 && ttl <= 300_000, `upload URL lives ${ttl} ms`);

  // Listed as pending; no URL to download it yet.
  assert.deepEqual(
    (await list(bob)).json.map((x: { id: string; status: string }) => [x.id, x.status]),
    [[a.id, 'pending']],
  );
  assert.equal((await download(bob, a.id)).status, 409);
  assert.equal((await complete(alice, a.id)).status, 409, 'nothing uploaded yet');

  const put = await fetchPresigned(a.upload, bytes);
  assert.equal(put.statusCode, 200, put.body);
  assert.deepEqual(put.json(), { sizeBytes: bytes.length });
  const objectPath = join(dir, 'attachments', conv, a.id);
  assert.equal(statSync(objectPath).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(join(dir, 'attachments', conv)).filter((f) => f.endsWith('.part')),
    [],
    'no temporary file left',
  );

  const done = await complete(alice, a.id);
  assert.equal(done.status, 200, JSON.stringify(done.json));
  assert.equal(done.json.status, 'ready');
  assert.equal((await complete(alice, a.id)).json.status, 'ready', 'a retried complete is harmless');
  const listed = await list(bob);
  assert.deepEqual(Object.keys(listed.json[0]).sort(), [
    'contentType',
    'conversationId',
    'createdAt',
    'id',
    'messageId',
    'sizeBytes',
    'status',
  ]);

  const urls: string[] = [];
  for (const reader of [bob, alice]) {
    const d = await download(reader, a.id);
    assert.equal(d.status, 200, JSON.stringify(d.json));
    assert.equal(d.json.method, 'GET');
    assert.ok(Date.parse(d.json.expiresAt) - Date.now() <= 300_000);
    urls.push(d.json.url);
    const got = await fetchPresigned(d.json);
    assert.equal(got.statusCode, 200);
    assert.ok(got.rawPayload.equals(bytes), 'the same bytes come back');
    assert.equal(got.headers['content-type'], 'image/png');
    assert.equal(got.headers['content-disposition'], 'attachment');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.equal(got.headers['cache-control'], 'no-store');
  }
  assert.notEqual(urls[0], urls[1]);

  // The upload URL is still valid, but it stores one file once: a second PUT cannot swap the completed bytes.
  const swap = Buffer.concat([Buffer.from('%PNG-swapped-bytes-9f2e '), randomBytes(bytes.length - 24)]);
  assert.equal(swap.length, bytes.length);
  const again = await fetchPresigned(a.upload, swap);
  assert.equal(again.statusCode, 412, again.body);
  assert.ok(readFileSync(objectPath).equals(bytes), 'the completed file is unchanged');

  const owner = await h.owner();
  const { rows } = await owner.query(
    `SELECT actor_id, target_ids, outcome, severity, detail FROM hmk.audit_log WHERE action = 'attachment.download' AND status = 200 ORDER BY id`,
  );
  assert.deepEqual(
    rows,
    [bob.id, alice.id].map((actor) => ({
      actor_id: actor,
      target_ids: [conv, msg, a.id],
      outcome: 'ok',
      severity: null,
      detail: null,
    })),
  );
  const created1 = await owner.query(
    `SELECT target_ids FROM hmk.audit_log WHERE action = 'attachment.create' AND status = 201`,
  );
  assert.deepEqual(created1.rows[0].target_ids, [conv, msg, a.id]);
  // The row holds ids, type, size and status; nothing else.
  const cols = await owner.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'hmk' AND table_name = 'attachments' ORDER BY 1`,
  );
  assert.deepEqual(
    cols.rows.map((r) => r.column_name),
    [
      'completed_at',
      'content_type',
      'conversation_id',
      'created_at',
      'id',
      'message_id',
      'object_key',
      'size_bytes',
      'status',
      'uploader_id',
    ],
  );
});

test('declared size over the limit, a type off the allow-list, or a file name: 400 naming the field', async () => {
  const over = await attach(alice, { contentType: 'image/png', sizeBytes: MAX_BYTES + 1 });
  assert.equal(over.status, 400);
  assert.match(over.json.message, /^body\.sizeBytes must be at most 4096 bytes$/);
  const html = await attach(alice, { contentType: 'text/html', sizeBytes: 10 });
  assert.equal(html.status, 400);
  assert.match(html.json.message, /^body\.contentType must be one of image\/jpeg, image\/png/);
  assert.equal((await attach(alice, { contentType: 'image/png; charset=x', sizeBytes: 10 })).status, 400);
  const zero = await attach(alice, { contentType: 'image/png', sizeBytes: 0 });
  assert.equal(zero.status, 400);
  assert.match(zero.json.message, /^body\.sizeBytes/);
  const named = await attach(alice, { contentType: 'image/png', sizeBytes: 10, name: 'jane-doe-biopsy-results.png' });
  assert.equal(named.status, 400, 'file names are not taken (they may be PHI)');
  assert.match(named.json.message, /body\.name/);
  assert.equal((await attach(alice, { contentType: 'image/png', sizeBytes: 1.5 })).status, 400);
});

test('the upload URL enforces the signed type and exact length, like S3', async () => {
  const bytes = randomBytes(100);
  const { json: a } = await attach(alice, { contentType: 'application/pdf', sizeBytes: bytes.length });

  const longer = await fetchPresigned(a.upload, Buffer.concat([bytes, Buffer.from('x')]), { 'content-length': '101' });
  assert.equal(longer.statusCode, 403);
  assert.match(longer.json().message, /^headers\.content-length must be 100/);
  const shorter = await fetchPresigned(a.upload, bytes.subarray(0, 99), { 'content-length': '99' });
  assert.equal(shorter.statusCode, 403);
  const retyped = await fetchPresigned(a.upload, bytes, { 'content-type': 'image/png' });
  assert.equal(retyped.statusCode, 403);
  assert.match(retyped.json().message, /^headers\.content-type must be exactly "application\/pdf"/);
  const json = await fetchPresigned(a.upload, Buffer.from(JSON.stringify({ a: 'b'.repeat(91) })), {
    'content-type': 'application/json',
  });
  assert.equal(json.statusCode, 403, 'JSON is not parsed on this route, and not the signed type either');
  assert.equal(existsSync(join(dir, 'attachments', conv, a.id)), false, 'nothing stored by refused uploads');
  assert.equal((await complete(alice, a.id)).status, 409);
  assert.equal((await fetchPresigned(a.upload, bytes)).statusCode, 200);
  assert.equal((await complete(alice, a.id)).json.status, 'ready');
});

test('a stored object that differs from the declaration is refused at complete; its row is deleted, its object queued', async () => {
  const { json: a } = await attach(alice, { contentType: 'text/plain', sizeBytes: 10 });
  // As if the object store held something else under the key (S3 would refuse this PUT; the check is the backstop).
  const objectPath = join(dir, 'attachments', conv, a.id);
  assert.equal((await fetchPresigned(a.upload, Buffer.from('0123456789'))).statusCode, 200);
  writeFileSync(objectPath, 'twelve bytes');
  const r = await complete(alice, a.id);
  assert.equal(r.status, 409);
  assert.match(r.json.message, /^sizeBytes: the stored file has 12 bytes, not the 10 declared; the upload was deleted/);
  assert.ok(!(await list(alice)).json.some((x: { id: string }) => x.id === a.id), 'row deleted');
  assert.equal((await download(bob, a.id)).status, 404);
  // The object is queued, not deleted at once: its upload URL is still valid, and a PUT on it now (as a
  // client retrying would make) stores the file again with no row. The retention job deletes it, late upload
  // included, once no upload URL for it can be used (6 minutes after the row went; aged here).
  const owner = await h.owner();
  const key = `attachments/${conv}/${a.id}`;
  const queued = () =>
    owner.query('SELECT 1 FROM hmk.pending_object_deletions WHERE object_key = $1', [key]).then((q) => q.rowCount);
  assert.equal(await queued(), 1);
  // The URL outlives the row, but stores once: the queued object is still there, so a retry is refused.
  assert.equal((await fetchPresigned(a.upload, Buffer.from('0123456789'))).statusCode, 412, 'write once');
  assert.equal((await complete(alice, a.id)).status, 404, 'nothing to complete any more');
  await h.service.retention.runOnce();
  assert.ok(existsSync(objectPath), 'kept while its upload URL may still be used');
  await owner.query(
    "UPDATE hmk.pending_object_deletions SET queued_at = now() - interval '10 minutes' WHERE object_key = $1",
    [key],
  );
  assert.equal((await h.service.retention.runOnce()).objectsDeleted, 1);
  assert.equal(existsSync(objectPath), false, 'object deleted');
  assert.equal(existsSync(`${objectPath}.type`), false);
  assert.equal(await queued(), 0);

  const { json: b } = await attach(alice, { contentType: 'text/plain', sizeBytes: 4 });
  assert.equal((await fetchPresigned(b.upload, Buffer.from('abcd'))).statusCode, 200);
  writeFileSync(`${join(dir, 'attachments', conv, b.id)}.type`, 'image/png');
  const typed = await complete(alice, b.id);
  assert.equal(typed.status, 409);
  assert.match(typed.json.message, /^contentType: /);
});

test('expired URLs are refused (upload and download)', async () => {
  const shortDir = mkdtempSync(join(tmpdir(), 'hmk-attachments-ttl-'));
  const s = await createHarness({ ATTACHMENTS_DIR: shortDir, ATTACHMENT_URL_TTL_SECONDS: '1' });
  try {
    const [u, v] = [await s.user('ttl-u'), await s.user('ttl-v')];
    const c = (await s.request('POST', '/v1/conversations', { token: u.token, body: { participantIds: [v.id] } })).json
      .id;
    const m = (
      await s.request('POST', `/v1/conversations/${c}/messages`, {
        token: u.token,
        body: { body: 'attachment follows' },
      })
    ).json.id;
    const inject = (p: Presigned, payload?: Buffer) =>
      s.service.app.inject({ method: p.method, url: p.url, headers: p.headers, payload });
    const late = (
      await s.request('POST', base(c, m), { token: u.token, body: { contentType: 'text/plain', sizeBytes: 3 } })
    ).json;
    const onTime = (
      await s.request('POST', base(c, m), { token: u.token, body: { contentType: 'text/plain', sizeBytes: 3 } })
    ).json;
    assert.equal((await inject(onTime.upload, Buffer.from('abc'))).statusCode, 200);
    assert.equal((await s.request('POST', `${base(c, m)}/${onTime.id}/complete`, { token: u.token })).status, 200);
    const d = (await s.request('GET', `${base(c, m)}/${onTime.id}/download`, { token: v.token })).json;
    await new Promise((r) => setTimeout(r, 1100));
    const put = await inject(late.upload, Buffer.from('abc'));
    assert.equal(put.statusCode, 403);
    assert.match(put.json().message, /expired/);
    const get = await inject(d);
    assert.equal(get.statusCode, 403);
    assert.match(get.json().message, /expired/);
  } finally {
    await s.close();
    rmSync(shortDir, { recursive: true, force: true });
  }
});

test('altered, reused-for-another-method or foreign tokens are refused', async () => {
  const id = await readyAttachment(Buffer.from('lab result text, sealed in transit'));
  const other = await readyAttachment(Buffer.from('another file entirely'));
  const d: Presigned = (await download(bob, id)).json;
  const token = new URL(d.url, 'http://local').searchParams.get('token')!;
  const [body, mac] = token.split('.');
  const grant = JSON.parse(Buffer.from(body, 'base64url').toString());
  const withToken = (t: string) => `/v1/attachments/local?token=${t}`;
  const reencode = (g: unknown) => Buffer.from(JSON.stringify(g)).toString('base64url');

  const tries = {
    'other object': withToken(`${reencode({ ...grant, k: `attachments/${conv}/${other}` })}.${mac}`),
    'later expiry': withToken(`${reencode({ ...grant, e: grant.e + 3_600_000 })}.${mac}`),
    'changed signature': withToken(`${body}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`),
    'no signature': withToken(`${body}.`),
    'extra part': withToken(`${token}.${mac}`),
  };
  for (const [what, url] of Object.entries(tries)) {
    const r = await h.service.app.inject({ method: 'GET', url });
    assert.ok(r.statusCode === 403 || r.statusCode === 400, `${what}: ${r.statusCode}`);
    assert.ok(!r.rawPayload.includes('another file'), what);
  }
  const forged = await h.service.app.inject({ method: 'GET', url: tries['other object'] });
  assert.equal(forged.statusCode, 403);
  assert.match(forged.json().message, /^query\.token is not valid/);

  // A download token does not upload, and a token from another process (another secret) does nothing here.
  const asPut = await h.service.app.inject({
    method: 'PUT',
    url: d.url,
    headers: { 'content-type': 'application/pdf', 'content-length': '3' },
    payload: 'abc',
  });
  assert.equal(asPut.statusCode, 403);
  const foreign = await new LocalAttachmentStore(dir, 300).presignDownload(`attachments/${conv}/${id}`);
  assert.equal((await h.service.app.inject({ method: 'GET', url: foreign.url })).statusCode, 403);
  assert.equal((await h.service.app.inject({ method: 'GET', url: '/v1/attachments/local' })).statusCode, 400);
  assert.equal((await h.service.app.inject({ method: 'GET', url: d.url })).statusCode, 200, 'the real one still works');
});

test('object keys cannot leave the directory', async () => {
  const store = new LocalAttachmentStore(dir, 300);
  for (const key of [
    '../outside',
    'attachments/../../etc/passwd',
    '/etc/passwd',
    'attachments//x',
    'a/b.type',
    'a\\b',
    '',
  ]) {
    await assert.rejects(store.presignUpload(key, 'text/plain', 1), /invalid object key/, key);
    await assert.rejects(store.head(key), /invalid object key/, key);
    await assert.rejects(store.deleteObjects([key]), /invalid object key/, key);
  }
});

test('non-members get the same 404 as for a missing conversation on every attachment endpoint', async () => {
  const id = await readyAttachment(Buffer.from('for participants only'));
  const missing = randomUUID();
  const calls = (c: string) => [
    () => attach(mallory, { contentType: 'text/plain', sizeBytes: 5 }, c),
    () => list(mallory, c),
    () => complete(mallory, id, c),
    () => download(mallory, id, c),
  ];
  const seen = [];
  for (const [i, call] of calls(conv).entries()) {
    const mine = await call();
    const none = await calls(missing)[i]();
    assert.equal(mine.status, 404, JSON.stringify(mine.json));
    assert.deepEqual(mine.json, none.json, 'indistinguishable from a conversation that does not exist');
    seen.push(mine.json.message);
  }
  assert.deepEqual(seen, Array(4).fill('conversation not found'));
  // An attachment id from elsewhere in a conversation one does belong to: 404 too.
  const conv2 = (
    await h.request('POST', '/v1/conversations', { token: mallory.token, body: { participantIds: [bob.id] } })
  ).json.id;
  const msg2 = await send(mallory, conv2);
  assert.equal((await download(mallory, id, conv2, msg2)).status, 404);
  assert.equal(
    (await attach(alice, { contentType: 'text/plain', sizeBytes: 5 }, conv, msg2)).status,
    404,
    'message of another conversation',
  );
  const owner = await h.owner();
  const denied = await owner.query(
    `SELECT count(*)::int AS n FROM hmk.audit_log WHERE actor_id = $1 AND action LIKE 'attachment.%' AND outcome = 'denied'`,
    [mallory.id],
  );
  assert.ok(denied.rows[0].n >= 4, 'refusals are audited');
});

test('only the sender attaches to a message, and only the uploader completes', async () => {
  const r = await attach(bob, { contentType: 'text/plain', sizeBytes: 5 });
  assert.equal(r.status, 403);
  assert.match(r.json.message, /only the sender/);
  const { json: a } = await attach(alice, { contentType: 'text/plain', sizeBytes: 5 });
  await fetchPresigned(a.upload, Buffer.from('hello'));
  assert.equal((await complete(bob, a.id)).status, 403);
  const bobs = await send(bob, conv);
  assert.equal((await attach(bob, { contentType: 'text/plain', sizeBytes: 5 }, conv, bobs)).status, 201);
});

test('the database holds the same line: RLS and column grants for the serving role', async () => {
  const id = await readyAttachment(Buffer.from('immutable once ready'));
  const owner = await h.owner();
  const asUser = async <T>(userId: string, fn: () => Promise<T>): Promise<T> => {
    await owner.query('BEGIN');
    try {
      await owner.query('SET LOCAL ROLE hmk_app');
      await owner.query("SELECT set_config('hmk.user_id', $1, true)", [userId]);
      return await fn();
    } finally {
      await owner.query('ROLLBACK');
    }
  };
  const gone = await asUser(alice.id, () => owner.query('DELETE FROM hmk.attachments WHERE id = $1', [id]));
  assert.equal(gone.rowCount, 0, 'a ready attachment is not deleted, even by its uploader');
  const back = await asUser(alice.id, () =>
    owner.query("UPDATE hmk.attachments SET status = 'pending', completed_at = NULL WHERE id = $1", [id]),
  );
  assert.equal(back.rowCount, 0, 'nor set back to pending');
  await assert.rejects(
    asUser(alice.id, () => owner.query('UPDATE hmk.attachments SET size_bytes = 1 WHERE id = $1', [id])),
    { code: '42501' },
  );
  const seen = await asUser(mallory.id, () => owner.query('SELECT id FROM hmk.attachments'));
  assert.equal(seen.rowCount, 0, 'invisible to non-members');
  const sneaky = randomUUID();
  await assert.rejects(
    asUser(bob.id, () =>
      owner.query(
        `INSERT INTO hmk.attachments (id, conversation_id, message_id, uploader_id, object_key, content_type, size_bytes)
     VALUES ($1, $2, $3, $4, $5, 'text/plain', 1)`,
        [sneaky, conv, msg, bob.id, `attachments/${conv}/${sneaky}`],
      ),
    ),
    { code: '42501' },
    "bob cannot attach to alice's message",
  );
  await assert.rejects(
    asUser(alice.id, () =>
      owner.query(
        `INSERT INTO hmk.attachments (id, conversation_id, message_id, uploader_id, object_key, content_type, size_bytes)
     VALUES ($1, $2, $3, $4, $5, 'text/plain', 1)`,
        [sneaky, conv, msg, alice.id, `attachments/${randomUUID()}/${sneaky}`],
      ),
    ),
    { code: '23514' },
    'the object key is made of the ids',
  );
});

test('a reader under break-glass may list and download (audited as break-glass) but not attach', async () => {
  const id = await readyAttachment(Buffer.from('reviewed under break-glass'));
  const owner = await h.owner();
  const { rows } = await owner.query(
    `INSERT INTO hmk.break_glass_grants (conversation_id, user_id, reason, expires_at)
     VALUES ($1, $2, 'incident review requested by the privacy officer', now() + interval '10 minutes') RETURNING id`,
    [conv, auditor.id],
  );
  const grantId = rows[0].id;
  assert.ok((await list(auditor)).json.some((x: { id: string }) => x.id === id));
  const d = await download(auditor, id);
  assert.equal(d.status, 200);
  assert.equal((await fetchPresigned(d.json)).statusCode, 200);
  const audit = await owner.query(
    `SELECT action, target_ids, severity, detail FROM hmk.audit_log WHERE actor_id = $1 AND status = 200 AND action LIKE 'attachment.%' ORDER BY id`,
    [auditor.id],
  );
  assert.deepEqual(
    audit.rows.map((r) => [r.action, r.severity, r.detail]),
    [
      ['attachment.list.break_glass', 'high', { grantId }],
      ['attachment.download.break_glass', 'high', { grantId }],
    ],
  );
  assert.deepEqual(audit.rows[1].target_ids, [conv, msg, id]);
  assert.equal(
    (await attach(auditor, { contentType: 'text/plain', sizeBytes: 5 })).status,
    404,
    'break-glass never writes',
  );
  await owner.query(
    "UPDATE hmk.break_glass_grants SET expires_at = created_at + interval '1 microsecond' WHERE id = $1",
    [grantId],
  );
  assert.equal((await download(auditor, id)).status, 404, 'an expired grant reads nothing');
});

test('a download URL issued under break-glass expires with the grant', async () => {
  const id = await readyAttachment(Buffer.from('reviewed in an emergency'));
  const owner = await h.owner();
  const { rows } = await owner.query(
    `INSERT INTO hmk.break_glass_grants (conversation_id, user_id, reason, expires_at)
     VALUES ($1, $2, 'short emergency review of an attachment', now() + interval '3 seconds') RETURNING expires_at`,
    [conv, auditor.id],
  );
  const grantEnds = rows[0].expires_at.getTime();
  const d = await download(auditor, id);
  assert.equal(d.status, 200, JSON.stringify(d.json));
  const expiresAt = Date.parse(d.json.expiresAt);
  assert.ok(
    expiresAt <= grantEnds && expiresAt > grantEnds - 2000,
    `URL ends ${grantEnds - expiresAt} ms before the grant`,
  );
  const token = new URL(d.json.url, 'http://local').searchParams.get('token')!;
  assert.equal(
    JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).e,
    expiresAt,
    'the signed expiry is the one shown',
  );
  assert.equal((await fetchPresigned(d.json)).statusCode, 200);
  // A participant's URL still lives 5 minutes.
  const own = await download(bob, id);
  assert.ok(Date.parse(own.json.expiresAt) - Date.now() > 290_000);
  await new Promise((r) => setTimeout(r, Math.max(0, grantEnds - Date.now()) + 50));
  const late = await fetchPresigned(d.json);
  assert.equal(late.statusCode, 403, 'the URL ended with the grant');
  assert.match(late.json().message, /expired/);
  assert.equal((await download(auditor, id)).status, 404, 'and no new one is issued');
  assert.equal((await fetchPresigned(own.json)).statusCode, 200);
});

test('a conversation kept forever takes files on a message of any age', async () => {
  // This harness sets no RETENTION_DAYS: messages are kept forever, so no message is too close to expiry.
  const owner = await h.owner();
  const { rows } = await owner.query(
    "INSERT INTO hmk.messages (conversation_id, sender_id, created_at) VALUES ($1, $2, now() - interval '5000 days') RETURNING id",
    [conv, alice.id],
  );
  const r = await attach(alice, { contentType: 'text/plain', sizeBytes: 5 }, conv, rows[0].id);
  assert.equal(r.status, 201, JSON.stringify(r.json));
});

test('logs carry no file bytes, file names or signed URLs', async () => {
  const marker = `attachment-bytes-${randomUUID()}`;
  const id = await readyAttachment(Buffer.from(marker), 'text/plain');
  const d = await download(bob, id);
  await fetchPresigned(d.json);
  await fetchPresigned(d.json, undefined, {}); // and a second fetch
  await h.service.app.inject({ method: 'GET', url: `${d.json.url.slice(0, -4)}AAAA` }); // a refused one
  const logs = h.logs.join('');
  const token = new URL(d.json.url, 'http://local').searchParams.get('token')!;
  assert.ok(logs.includes('/v1/attachments/local'), 'the local routes do log (route pattern only)');
  for (const secret of [
    marker,
    token,
    token.split('.')[1],
    'token=',
    'jane-doe-biopsy-results.png',
    'X-Amz-Signature',
  ]) {
    assert.ok(!logs.includes(secret), `logs contain ${secret.slice(0, 24)}`);
  }
});
