// The role x endpoint matrix (P07): every authenticated /v1 route, called by each role, as a participant of the
// conversation it names and as an outsider (and, for admin and auditor, as an outsider holding a break-glass grant).
// Each cell asserts the exact status; that the call wrote exactly one audit row for the caller with that status and
// outcome; and, when refused, that nothing else changed and the reply is the one a missing id gets. A route that
// has no row here fails the first test: a new endpoint cannot be added without deciding who may call it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { outcomeFor } from '../src/audit/audit.js';
import type { Role } from '../src/auth/verifier.js';
import { LocalNotifySink } from '../src/notify/sink.js';
import { createHarness, type Harness, type TestUser } from './helpers.js';

const ROLES = ['member', 'clinician', 'admin', 'auditor'] as const satisfies readonly Role[];
type Rel = 'in' | 'out' | 'glass';

/**
 * A cell: one status for every relation, or [participant, outsider] (member, clinician), or
 * [participant, outsider, outsider with a break-glass grant] (admin, auditor).
 * On patient routes "participant" means: the profile is the caller's own (member), or the caller shares a
 * conversation with that member (the other roles); "outsider": a member the caller shares no conversation with.
 */
type Cell = number | [number, number] | [number, number, number];
type Row = Record<Role, Cell>;
const r = (member: Cell, clinician: Cell, admin: Cell, auditor: Cell): Row => ({ member, clinician, admin, auditor });

// The policy. Admin manages the directory (enterprise mode), retention and legal holds; the auditor reads the audit
// trail and access reports; neither reads a conversation it is not part of without breaking glass, and break-glass
// never writes. Patient profiles: the member, and clinicians sharing a conversation with them.
// The policy is a table (one row per route, one column per role), so Prettier leaves its alignment alone.
// prettier-ignore
const MATRIX: Record<string, Row> = {
  //                                                                         member      clinician   admin            auditor
  'GET /v1/session':                                                      r(200,        200,        200,             200),
  'PUT /v1/contacts/me':                                                  r(200,        200,        200,             200),
  'GET /v1/contacts':                                                     r(200,        200,        200,             200),
  'POST /v1/conversations':                                               r(201,        201,        201,             201),
  'GET /v1/conversations':                                                r([200, 200], [200, 200], [200, 200, 200], [200, 200, 200]),
  'GET /v1/conversations/:id':                                            r([200, 404], [200, 404], [200, 404, 200], [200, 404, 200]),
  'POST /v1/conversations/:id/messages':                                  r([201, 404], [201, 404], [201, 404, 404], [201, 404, 404]),
  'GET /v1/conversations/:id/messages':                                   r([200, 404], [200, 404], [200, 404, 200], [200, 404, 200]),
  'POST /v1/devices':                                                     r(201,        201,        201,             201),
  'GET /v1/devices':                                                      r(200,        200,        200,             200),
  'PUT /v1/keys/me':                                                      r(200,        200,        200,             200),
  'GET /v1/keys/:userId':                                                 r(200,        200,        200,             200),
  'POST /v1/conversations/:id/messages/:messageId/attachments':           r([201, 404], [201, 404], [201, 404, 404], [201, 404, 404]),
  'POST /v1/conversations/:id/messages/:messageId/attachments/:attachmentId/complete':
                                                                          r([200, 404], [200, 404], [200, 404, 404], [200, 404, 404]),
  'GET /v1/conversations/:id/messages/:messageId/attachments':            r([200, 404], [200, 404], [200, 404, 200], [200, 404, 200]),
  'GET /v1/conversations/:id/messages/:messageId/attachments/:attachmentId/download':
                                                                          r([200, 404], [200, 404], [200, 404, 200], [200, 404, 200]),
  // A second request while the caller's grant is active is a 409 naming its expiry (one active grant per pair).
  'POST /v1/conversations/:id/break-glass':                               r([403, 403], [403, 403], [409, 201, 409], [409, 201, 409]),
  'GET /v1/break-glass':                                                  r(403,        403,        200,             200),
  'GET /v1/break-glass/:id':                                              r(403,        403,        200,             200),
  'PATCH /v1/contacts/:id':                                               r(403,        403,        200,             403),
  'POST /v1/contacts/:id/close':                                          r(403,        403,        200,             403),
  'GET /v1/patients/:memberId/profile':                                   r([200, 404], [200, 404], [404, 404, 404], [404, 404, 404]),
  'PUT /v1/patients/:memberId/profile':                                   r([200, 404], [200, 404], [404, 404, 404], [404, 404, 404]),
  'POST /v1/patients/:memberId/profile/reveal':                           r([200, 404], [200, 404], [404, 404, 404], [404, 404, 404]),
  'GET /v1/audit':                                                        r(403,        403,        403,             200),
  'GET /v1/audit/verify':                                                 r(403,        403,        403,             200),
  'GET /v1/audit/export':                                                 r(403,        403,        403,             200),
  'GET /v1/reports/access':                                               r([403, 403], [403, 403], [403, 403, 403], [200, 200, 200]),
  'GET /v1/retention':                                                    r(403,        403,        200,             403),
  'PUT /v1/retention':                                                    r(403,        403,        200,             403),
  'PUT /v1/conversations/:id/retention':                                  r([403, 403], [403, 403], [200, 200, 200], [403, 403, 403]),
  'POST /v1/legal-holds':                                                 r([403, 403], [403, 403], [201, 201, 201], [403, 403, 403]),
  'GET /v1/legal-holds':                                                  r(403,        403,        200,             403),
  'GET /v1/legal-holds/:id':                                              r(403,        403,        200,             403),
  'POST /v1/legal-holds/:id/release':                                     r(403,        403,        200,             403),
  'POST /v1/events/ticket':                                               r(201,        201,        201,             201),
  // Read receipts are a participant's write: break-glass never writes.
  'POST /v1/conversations/:id/read':                                      r([200, 404], [200, 404], [200, 404, 404], [200, 404, 404]),
  // Receipts: the message's sender (the caller when it takes part), or a break-glass reader.
  'GET /v1/conversations/:id/messages/:messageId/receipts':               r([200, 404], [200, 404], [200, 404, 200], [200, 404, 200]),
  // Recall: the sender only (the caller when it takes part); break-glass never writes.
  'DELETE /v1/conversations/:id/messages/:messageId':                     r([200, 404], [200, 404], [200, 404, 404], [200, 404, 404]),
};

/** Routes that take no token (everything else must have a row above). */
const PUBLIC_ROUTES = [
  'GET /health',
  'GET /v1/openapi.json',
  'PUT /v1/attachments/local',
  'GET /v1/attachments/local',
  // No bearer token: a one-time ticket from POST /v1/events/ticket (test/events.test.ts).
  'GET /v1/events',
];

/** Reads of conversation content: under a grant they must be audited as `<action>.break_glass`, high severity. */
const GLASS_READS = new Set([
  'GET /v1/conversations/:id',
  'GET /v1/conversations/:id/messages',
  'GET /v1/conversations/:id/messages/:messageId/attachments',
  'GET /v1/conversations/:id/messages/:messageId/attachments/:attachmentId/download',
  'GET /v1/conversations/:id/messages/:messageId/receipts',
]);

/**
 * Cells that fail today for a reason reported to the lead, not decided here: they still run (as node:test todo
 * cells, shown in the output) and start passing once fixed; then delete the entry.
 */
const KNOWN_ISSUES: Record<string, string> = {};

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: fresh users and a fresh conversation for every cell, so no cell depends on another's side effects.

interface Fixture {
  role: Role;
  rel: Rel;
  me: TestUser; // the caller, holding only `role`
  patient: TestUser; // a member, always in `conv`
  clinician: TestUser; // a clinician, in `conv` when `me` is not
  conv: string; // {patient, me} for 'in'; {patient, clinician} otherwise ('glass': `me` holds a grant on it)
  subject: TestUser; // patient routes: whose profile (the caller itself for a member 'in')
}

interface Req {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}
type Builder = (f: Fixture) => Req | Promise<Req>;

const BREAK_GLASS_REASON = 'Matrix test: reviewing this thread on a documented request';
const PDF = Buffer.from('%PDF-1.4 matrix test file');

let h: Harness;
let db: pg.Client;
let ops: TestUser; // an admin who places legal holds for the release cells
const attachmentsDir = mkdtempSync(join(tmpdir(), 'hmk-role-matrix-'));

before(async () => {
  h = await createHarness({ ATTACHMENTS_DIR: attachmentsDir, RETENTION_JOB: 'false' });
  db = await h.owner();
  ops = await h.user(undefined, { groups: ['admin'] });
});
after(async () => {
  await h.close();
  rmSync(attachmentsDir, { recursive: true, force: true });
});

async function call(u: TestUser, method: string, url: string, body?: unknown) {
  const res = await h.request(method, url, { token: u.token, body });
  assert.ok(res.status < 300, `setup ${method} ${url}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}
const send = async (u: TestUser, conv: string): Promise<string> =>
  (await call(u, 'POST', `/v1/conversations/${conv}/messages`, { body: 'matrix note' })).id;

/** Declares a file on `msg` as its sender and uploads the bytes; returns the (pending) attachment id. */
async function upload(u: TestUser, conv: string, msg: string): Promise<string> {
  const a = await call(u, 'POST', `/v1/conversations/${conv}/messages/${msg}/attachments`, {
    contentType: 'application/pdf',
    sizeBytes: PDF.length,
  });
  const put = await h.service.app.inject({
    method: a.upload.method,
    url: a.upload.url,
    headers: a.upload.headers,
    payload: PDF,
  });
  assert.equal(put.statusCode, 200, put.body);
  return a.id;
}
async function readyAttachment(u: TestUser, conv: string, msg: string): Promise<string> {
  const id = await upload(u, conv, msg);
  await call(u, 'POST', `/v1/conversations/${conv}/messages/${msg}/attachments/${id}/complete`);
  return id;
}

async function fixture(role: Role, rel: Rel): Promise<Fixture> {
  const me = await h.user(undefined, { groups: [role] });
  const patient = await h.user(undefined, { groups: ['member'] });
  const clinician = await h.user(undefined, { groups: ['clinician'] });
  const conv = (
    await call(patient, 'POST', '/v1/conversations', { participantIds: [rel === 'in' ? me.id : clinician.id] })
  ).id;
  if (rel === 'glass') await call(me, 'POST', `/v1/conversations/${conv}/break-glass`, { reason: BREAK_GLASS_REASON });
  const subject = role === 'member' && rel === 'in' ? me : patient;
  return { role, rel, me, patient, clinician, conv, subject };
}

/** Whoever may write to `conv` in this cell: the caller when it takes part, else the patient. */
const writer = (f: Fixture) => (f.rel === 'in' ? f.me : f.patient);
const setProfile = (f: Fixture) =>
  call(f.subject, 'PUT', `/v1/patients/${f.subject.id}/profile`, { mrn: `MRN-${randomUUID().slice(0, 8)}` });
const hour = 3_600_000;

// Per-route requests: path parameters, query string and body; any setup they need happens here.
const REQUESTS: Record<string, Builder> = {
  'GET /v1/session': () => ({}),
  'PUT /v1/contacts/me': () => ({ body: { displayName: 'Matrix Person' } }),
  'GET /v1/contacts': () => ({ query: 'q=user-&limit=5' }),
  'POST /v1/conversations': (f) => ({ body: { participantIds: [f.clinician.id] } }),
  'GET /v1/conversations': () => ({}),
  'GET /v1/conversations/:id': (f) => ({ params: { id: f.conv } }),
  'POST /v1/conversations/:id/messages': (f) => ({ params: { id: f.conv }, body: { body: 'matrix message' } }),
  'GET /v1/conversations/:id/messages': async (f) => {
    await send(f.patient, f.conv);
    return { params: { id: f.conv } };
  },
  'POST /v1/devices': () => ({ body: { platform: 'fcm', token: `matrix-${randomUUID()}` } }),
  'GET /v1/devices': () => ({}),
  'PUT /v1/keys/me': () => ({ body: { publicKey: 'matrix-test-public-key-0123456789' } }),
  'GET /v1/keys/:userId': async (f) => {
    await call(f.patient, 'PUT', '/v1/keys/me', { publicKey: 'matrix-test-public-key-0123456789' });
    return { params: { userId: f.patient.id } };
  },
  'POST /v1/conversations/:id/messages/:messageId/attachments': async (f) => ({
    params: { id: f.conv, messageId: await send(writer(f), f.conv) },
    body: { contentType: 'application/pdf', sizeBytes: PDF.length },
  }),
  'POST /v1/conversations/:id/messages/:messageId/attachments/:attachmentId/complete': async (f) => {
    const messageId = await send(writer(f), f.conv);
    return { params: { id: f.conv, messageId, attachmentId: await upload(writer(f), f.conv, messageId) } };
  },
  'GET /v1/conversations/:id/messages/:messageId/attachments': async (f) => {
    const messageId = await send(f.patient, f.conv);
    await readyAttachment(f.patient, f.conv, messageId);
    return { params: { id: f.conv, messageId } };
  },
  'GET /v1/conversations/:id/messages/:messageId/attachments/:attachmentId/download': async (f) => {
    const messageId = await send(f.patient, f.conv);
    return { params: { id: f.conv, messageId, attachmentId: await readyAttachment(f.patient, f.conv, messageId) } };
  },
  'POST /v1/conversations/:id/break-glass': (f) => ({ params: { id: f.conv }, body: { reason: BREAK_GLASS_REASON } }),
  'GET /v1/break-glass': () => ({ query: 'limit=5' }),
  'GET /v1/break-glass/:id': async (f) => ({
    params: {
      id: (await call(ops, 'POST', `/v1/conversations/${f.conv}/break-glass`, { reason: BREAK_GLASS_REASON })).grantId,
    },
  }),
  'PATCH /v1/contacts/:id': (f) => ({ params: { id: f.patient.id }, body: { displayName: 'Corrected Name' } }),
  'POST /v1/contacts/:id/close': (f) => ({ params: { id: f.patient.id } }),
  'GET /v1/patients/:memberId/profile': async (f) => {
    await setProfile(f);
    return { params: { memberId: f.subject.id } };
  },
  'PUT /v1/patients/:memberId/profile': async (f) => {
    await setProfile(f);
    return { params: { memberId: f.subject.id }, body: { dateOfBirth: '1980-02-03' } };
  },
  'POST /v1/patients/:memberId/profile/reveal': async (f) => {
    await setProfile(f);
    return { params: { memberId: f.subject.id }, body: { reason: 'matrix test: confirm identity' } };
  },
  'GET /v1/audit': () => ({ query: 'limit=1' }),
  'GET /v1/audit/verify': () => ({ query: `from=${new Date(Date.now() - hour).toISOString()}` }),
  'GET /v1/audit/export': () => ({
    query: `format=csv&from=${new Date(Date.now() - hour).toISOString()}&to=${new Date(Date.now() + hour).toISOString()}`,
  }),
  'GET /v1/reports/access': (f) => ({ query: `conversationId=${f.conv}` }),
  'GET /v1/retention': () => ({}),
  'PUT /v1/retention': () => ({ body: { days: 3650 } }),
  // 30 days is shorter than any organisation setting a cell leaves behind (the default 0 = forever, or 3650).
  'PUT /v1/conversations/:id/retention': (f) => ({ params: { id: f.conv }, body: { days: 30 } }),
  'POST /v1/legal-holds': (f) => ({ body: { conversationId: f.conv, reason: 'matrix test: litigation hold' } }),
  'GET /v1/legal-holds': () => ({ query: 'active=true' }),
  'POST /v1/events/ticket': () => ({}),
  'POST /v1/conversations/:id/read': async (f) => ({
    params: { id: f.conv },
    body: { upTo: await send(f.patient, f.conv) },
  }),
  'DELETE /v1/conversations/:id/messages/:messageId': async (f) => ({
    params: { id: f.conv, messageId: await send(writer(f), f.conv) },
  }),
  'GET /v1/conversations/:id/messages/:messageId/receipts': async (f) => ({
    params: { id: f.conv, messageId: await send(writer(f), f.conv) },
  }),
  'GET /v1/legal-holds/:id': async (f) => ({
    params: {
      id: (
        await call(ops, 'POST', '/v1/legal-holds', { conversationId: f.conv, reason: 'matrix test: litigation hold' })
      ).id,
    },
  }),
  'POST /v1/legal-holds/:id/release': async (f) => {
    const hold = await call(ops, 'POST', '/v1/legal-holds', {
      conversationId: f.conv,
      reason: 'matrix test: litigation hold',
    });
    return { params: { id: hold.id }, body: { reason: 'matrix test: matter closed' } };
  },
};

/** Extra checks on a successful reply, where the status alone would not show a leak. */
const CHECKS: Record<string, (json: any, f: Fixture) => void> = {
  'GET /v1/conversations': (json, f) =>
    assert.equal(
      json.some((c: { id: string }) => c.id === f.conv),
      f.rel === 'in',
      'lists only conversations I take part in',
    ),
  'GET /v1/conversations/:id/messages': (json) => assert.equal(json.length, 1),
  'GET /v1/conversations/:id/messages/:messageId/attachments': (json) => assert.equal(json.length, 1),
};

// ---------------------------------------------------------------------------------------------------------------

/** Every hmk table except those written on every request or by background work (audit, sessions, push outbox). */
const UNWATCHED = ['audit_log', 'audit_chain_heads', 'sessions', 'push_outbox'];
async function snapshot(): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'hmk' AND tablename <> ALL ($1) ORDER BY 1",
    [UNWATCHED],
  );
  const { rows } = await db.query<{ t: string; h: string }>(
    tables
      .map(
        ({ t }) =>
          `SELECT '${t}' AS t, count(*) || ':' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM hmk.${t} x`,
      )
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((x) => [x.t, x.h]));
}

async function auditWatermark(): Promise<string> {
  return (await db.query('SELECT coalesce(max(id), 0)::text AS id FROM hmk.audit_log')).rows[0].id;
}

/** The caller's audit rows for this route since `mark` (the route's action, or its break-glass read). */
async function auditRowsSince(mark: string, actor: string, action: string) {
  return (
    await db.query(
      `SELECT action, outcome, status, severity FROM hmk.audit_log
      WHERE id > $1 AND actor_id = $2 AND action IN ($3, $3 || '.break_glass') ORDER BY id`,
      [mark, actor, action],
    )
  ).rows;
}

const urlOf = (path: string, req: Req) => {
  const filled = path.replace(/:(\w+)/g, (_, name: string) => {
    const v = req.params?.[name];
    assert.ok(v, `request builder gave no :${name} for ${path}`);
    return v;
  });
  return req.query ? `${filled}?${req.query}` : filled;
};

function cellsOf(row: Row): Array<{ role: Role; rel: Rel; status: number }> {
  return ROLES.flatMap((role) => {
    const cell = row[role];
    if (typeof cell === 'number') return [{ role, rel: 'in' as Rel, status: cell }];
    return (['in', 'out', 'glass'] as const).slice(0, cell.length).map((rel, i) => ({ role, rel, status: cell[i] }));
  });
}

const cellName = (row: Row, role: Role, rel: Rel) => (typeof row[role] === 'number' ? role : `${role} ${rel}`);

test('every authenticated /v1 route has a row in the matrix and a request, and nothing else takes no token', () => {
  const table = h.service.app.routeTable;
  const authed = table.filter((x) => x.auth && x.url.startsWith('/v1/'));
  const keys = authed.map((x) => `${x.method} ${x.url}`);
  assert.deepEqual(
    keys.filter((k) => !(k in MATRIX)),
    [],
    'routes with no row in MATRIX: decide who may call them',
  );
  assert.deepEqual(
    Object.keys(MATRIX).filter((k) => !keys.includes(k)),
    [],
    'MATRIX rows for routes that do not exist',
  );
  assert.deepEqual(Object.keys(REQUESTS).sort(), Object.keys(MATRIX).sort(), 'a request builder per row');
  for (const x of authed) assert.ok(x.action, `${x.method} ${x.url} has no audit action`);
  assert.deepEqual(
    table
      .filter((x) => !x.auth)
      .map((x) => `${x.method} ${x.url}`)
      .sort(),
    [...PUBLIC_ROUTES].sort(),
  );
  const cells = Object.entries(MATRIX).flatMap(([key, row]) =>
    cellsOf(row).map((c) => `${key} ${cellName(row, c.role, c.rel)}`),
  );
  assert.deepEqual(
    Object.keys(KNOWN_ISSUES).filter((k) => !cells.includes(k)),
    [],
    'KNOWN_ISSUES entries that name no cell',
  );
  for (const [key, row] of Object.entries(MATRIX)) {
    for (const role of ['member', 'clinician'] as const) {
      assert.ok(typeof row[role] === 'number' || row[role].length === 2, `${key}: ${role} gets no break-glass column`);
    }
  }
});

test('no token: every authenticated route answers 401', async () => {
  for (const key of Object.keys(MATRIX)) {
    const [method, path] = key.split(' ');
    const res = await h.request(
      method,
      path.replace(/:\w+/g, () => randomUUID()),
    );
    assert.equal(res.status, 401, key);
  }
});

for (const [key, row] of Object.entries(MATRIX)) {
  const [method, path] = key.split(' ');
  test(key, async (t) => {
    const action = h.service.app.routeTable.find((x) => x.method === method && x.url === path)!.action!;
    for (const { role, rel, status } of cellsOf(row)) {
      const name = cellName(row, role, rel);
      await t.test(`${name} -> ${status}`, { todo: KNOWN_ISSUES[`${key} ${name}`] }, async () => {
        const f = await fixture(role, rel);
        const req = await REQUESTS[key](f);
        const url = urlOf(path, req);
        const refused = status >= 400;
        const before = refused ? await snapshot() : undefined;
        const notices = (h.service.notifier as LocalNotifySink).sent.length;
        const mark = await auditWatermark();

        const res = await h.request(method, url, { token: f.me.token, body: req.body });
        assert.equal(res.status, status, `${key} as ${role} (${rel}): ${JSON.stringify(res.json)}`);

        const audit = await auditRowsSince(mark, f.me.id, action);
        assert.equal(audit.length, 1, `one audit row: ${JSON.stringify(audit)}`);
        const expectedAction = rel === 'glass' && !refused && GLASS_READS.has(key) ? `${action}.break_glass` : action;
        assert.deepEqual(
          { action: audit[0].action, status: audit[0].status, outcome: audit[0].outcome },
          { action: expectedAction, status, outcome: outcomeFor(status) },
        );
        if (expectedAction.endsWith('.break_glass')) assert.equal(audit[0].severity, 'high');

        if (!refused) {
          CHECKS[key]?.(res.json, f);
          return;
        }
        assert.deepEqual(await snapshot(), before, 'a refused call changes nothing');
        assert.equal((h.service.notifier as LocalNotifySink).sent.length, notices, 'and sends no notice');
        assert.deepEqual(Object.keys(res.json).sort(), ['error', 'message']);
        // Not yours reads exactly like not there: the same reply for an id that does not exist.
        const scoped = /:memberId/.test(path) ? 'memberId' : 'id';
        if (status === 404 && req.params?.[scoped]) {
          const missing = await h.request(
            method,
            urlOf(path, { ...req, params: { ...req.params, [scoped]: randomUUID() } }),
            { token: f.me.token, body: req.body },
          );
          assert.deepEqual({ status: missing.status, json: missing.json }, { status: res.status, json: res.json });
        }
      });
    }
  });
}

test("a member sharing a conversation with another member still cannot see that member's profile", async () => {
  const f = await fixture('member', 'in'); // conv = {patient, me}, both members
  await setProfile({ ...f, subject: f.patient });
  const res = await h.request('GET', `/v1/patients/${f.patient.id}/profile`, { token: f.me.token });
  assert.equal(res.status, 404);
});
