// Auditor views (P09): the audit trail listed, verified, reported per conversation and exported; auditor role
// only (service and Postgres), de-identified by default, every call audited, exports streamed and complete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { csvCell, csvLine } from '../src/audit/csv.js';
import { VIEW_FIELDS } from '../src/audit/review.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { asRoles, createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let db: pg.Client;
let alice: TestUser, bob: TestUser, eve: TestUser, member: TestUser, admin: TestUser, aud: TestUser;
let conv: string; // alice + bob
let otherConv: string; // alice + eve
const SECRET_TEXT = 'ZEBRA-PHI-7731 blood results for the patient';
const SECRET_AGENT = 'SecretAgent/9.1';
const FORMULA_AGENT = '=HYPERLINK("http://evil.example","open")';

const get = (u: TestUser | undefined, url: string, headers?: Record<string, string>) =>
  h.request('GET', url, { token: u?.token, headers });
const send = (u: TestUser, c: string, body: string, headers?: Record<string, string>) =>
  h.request('POST', `/v1/conversations/${c}/messages`, { token: u.token, body: { body }, headers });
/** The database clock as the API prints times (UTC, microseconds). */
const dbNow = async () =>
  (await db.query(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`)).rows[0]
    .t as string;
const q = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();

/** Every row of GET /v1/audit for `params`, following nextCursor. */
async function listAll(params: Record<string, string | number | undefined>, limit = 1000) {
  const items: any[] = [];
  let cursor: string | undefined;
  do {
    const r = await get(aud, `/v1/audit?${q({ ...params, limit, cursor })}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    items.push(...r.json.items);
    cursor = r.json.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** A small RFC 4180 reader, independent of the writer under test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') {
      assert.equal(cell, '', 'a quote only opens a field');
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      assert.notEqual(ch, '\n', 'a bare LF outside quotes');
      cell += ch;
    }
  }
  assert.equal(quoted, false, 'unterminated quote');
  assert.equal(cell + row.join(''), '', 'the last line ends with CRLF');
  return rows;
}

let activityFrom: string, activityTo: string;

before(async () => {
  h = await createHarness();
  db = await h.owner();
  activityFrom = await dbNow();
  alice = await h.user('alice');
  bob = await h.user('bob');
  eve = await h.user('eve');
  member = await h.user('pat', { groups: ['member'] });
  admin = await h.user('admin', { groups: ['admin'] });
  aud = await h.user('aud', { groups: ['auditor'] });
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
  otherConv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [eve.id] } }))
    .json.id;
  for (let i = 0; i < 6; i++) {
    const r = await send(i % 2 ? bob : alice, conv, `${SECRET_TEXT} #${i}`, { 'user-agent': SECRET_AGENT });
    assert.equal(r.status, 201);
  }
  assert.equal((await send(alice, otherConv, SECRET_TEXT)).status, 201);
  assert.equal((await get(bob, `/v1/conversations/${conv}/messages`, { 'user-agent': SECRET_AGENT })).status, 200);
  assert.equal((await get(eve, `/v1/conversations/${conv}/messages`)).status, 404, 'eve is refused (and audited)');
  // Upper-case ids are accepted (uuids compare case-insensitively) and land in target_ids as sent.
  assert.equal(
    (await get(alice, `/v1/conversations/${conv.toUpperCase()}`, { 'user-agent': FORMULA_AGENT })).status,
    200,
  );
  const bg = await h.request('POST', `/v1/conversations/${conv}/break-glass`, {
    token: admin.token,
    body: { reason: 'Records request 5521 needs review of this thread' },
  });
  assert.equal(bg.status, 201, JSON.stringify(bg.json));
  activityTo = await dbNow();
});
after(() => h.close());

const endpoints = () => [
  '/v1/audit',
  '/v1/audit/verify',
  `/v1/reports/access?conversationId=${conv}`,
  `/v1/audit/export?${q({ format: 'csv', from: activityFrom, to: activityTo })}`,
];

test('role matrix: member, clinician and admin get 403, no token 401, auditor 200; refusals are audited', async () => {
  const cells: string[] = [];
  for (const url of endpoints()) {
    for (const [name, u, expected] of [
      ['member', member, 403],
      ['clinician', alice, 403],
      ['admin', admin, 403],
      ['none', undefined, 401],
      ['auditor', aud, 200],
    ] as const) {
      const r = await get(u, url);
      cells.push(`${name} ${url.split('?')[0]} ${r.status}`);
      assert.equal(r.status, expected, `${name} ${url}: ${JSON.stringify(r.json)}`);
      if (expected === 403) assert.match(r.json.message, /auditor role/);
    }
  }
  assert.equal(cells.length, 20);
  const { rows } = await db.query(
    `SELECT action, count(*)::int AS n FROM hmk.audit_log WHERE status = 403 AND action LIKE 'audit.%' GROUP BY action ORDER BY action`,
  );
  assert.deepEqual(
    rows,
    ['audit.access_report', 'audit.export', 'audit.list', 'audit.verify'].map((action) => ({ action, n: 3 })),
  );
});

test('Postgres refuses the audit trail to non-auditors on the serving pool, whatever the route does', async () => {
  for (const roles of [['clinician'], ['member'], ['admin'], ['clinician', 'admin']]) {
    assert.equal(
      (await asRoles(h, alice, roles, 'SELECT count(*)::int AS n FROM hmk.audit_log')).rows[0].n,
      0,
      roles.join(),
    );
    assert.equal(
      (await asRoles(h, alice, roles, 'SELECT count(*)::int AS n FROM hmk.audit_chain_heads')).rows[0].n,
      0,
      roles.join(),
    );
  }
  assert.ok((await asRoles(h, aud, ['auditor'], 'SELECT count(*)::int AS n FROM hmk.audit_log')).rows[0].n > 20);
  assert.equal(
    (await asRoles(h, aud, ['auditor'], 'SELECT count(*)::int AS n FROM hmk.audit_chain_heads')).rows[0].n,
    16,
  );
  // Reading is all an auditor may do.
  await assert.rejects(asRoles(h, aud, ['auditor'], "UPDATE hmk.audit_log SET outcome = 'ok'"), /permission denied/);
  await assert.rejects(asRoles(h, aud, ['auditor'], 'DELETE FROM hmk.audit_log'), /permission denied/);
  await assert.rejects(asRoles(h, aud, ['auditor'], 'UPDATE hmk.audit_chain_heads SET seq = 0'), /permission denied/);
});

test('filters: actor, exact and prefix action, target (any case), half-open time range, outcome, severity', async () => {
  const all = await listAll({ to: activityTo });
  assert.ok(all.length > 15);

  const bobs = await listAll({ actor: bob.id, to: activityTo });
  assert.deepEqual(
    bobs.map((r) => r.id),
    all.filter((r) => r.actorId === bob.id).map((r) => r.id),
  );
  assert.ok(bobs.length >= 4);

  const sends = await listAll({ action: 'message.send', to: activityTo });
  assert.equal(sends.length, 7);
  assert.ok(sends.every((r) => r.action === 'message.send'));
  const messageAll = await listAll({ action: 'message.*', to: activityTo });
  assert.deepEqual(new Set(messageAll.map((r) => r.action)), new Set(['message.send', 'message.read']));
  assert.deepEqual(
    messageAll.map((r) => r.id),
    all.filter((r) => r.action.startsWith('message.')).map((r) => r.id),
  );
  assert.equal((await listAll({ action: 'message', to: activityTo })).length, 0, 'without * the action is exact');

  const touching = await listAll({ target: conv, to: activityTo });
  const lowerOrUpper = (r: any) => r.targetIds.includes(conv) || r.targetIds.includes(conv.toUpperCase());
  assert.deepEqual(
    touching.map((r) => r.id),
    all.filter(lowerOrUpper).map((r) => r.id),
  );
  assert.ok(
    !all.some((r) => r.targetIds.includes(conv.toUpperCase())),
    'the upper-case read was recorded in lower case',
  );
  assert.deepEqual(
    (await listAll({ target: conv.toUpperCase(), to: activityTo })).map((r) => r.id),
    touching.map((r) => r.id),
  );

  // [from, to): a row at exactly `from` is in, a row at exactly `to` is out.
  const pivot = all[Math.floor(all.length / 2)];
  const fromPivot = await listAll({ from: pivot.at, to: activityTo });
  assert.equal(fromPivot[0].id, pivot.id);
  const toPivot = await listAll({ to: pivot.at });
  assert.equal(toPivot.at(-1).id, all[all.indexOf(pivot) - 1].id);
  assert.equal(fromPivot.length + toPivot.length, all.length);

  const denied = await listAll({ outcome: 'denied', to: activityTo });
  assert.ok(denied.some((r) => r.actorId === eve.id && r.status === 404 && r.targetIds.includes(conv)));
  assert.ok(denied.every((r) => r.outcome === 'denied'));
  const high = await listAll({ severity: 'high', to: activityTo });
  assert.ok(high.length >= 1 && high.every((r) => r.severity === 'high'));
  assert.ok(
    high.some((r) => r.actorId === admin.id && r.targetIds.includes(conv)),
    'the break-glass grant',
  );
});

test('de-identified by default: ids and codes only; source IP and user agent only with include=network (recorded)', async () => {
  const r = await get(aud, `/v1/audit?${q({ to: activityTo, limit: 1000 })}`);
  assert.equal(r.status, 200);
  const text = JSON.stringify(r.json);
  for (const leak of [SECRET_AGENT, 'HYPERLINK', 'Display ', 'alice', SECRET_TEXT.slice(0, 10), '127.0.0.1']) {
    assert.ok(!text.includes(leak), `default listing leaks ${leak}`);
  }
  for (const item of r.json.items) assert.deepEqual(Object.keys(item).sort(), [...VIEW_FIELDS].sort());

  const net = await get(aud, `/v1/audit?${q({ to: activityTo, limit: 1000, include: 'network' })}`);
  assert.equal(net.status, 200);
  assert.ok(net.json.items.some((i: any) => i.userAgent === SECRET_AGENT));
  assert.ok(net.json.items.every((i: any) => 'sourceIp' in i && 'userAgent' in i));
  assert.ok(!JSON.stringify(net.json).includes(SECRET_TEXT.slice(0, 10)));

  const { rows } = await db.query(
    "SELECT detail FROM hmk.audit_log WHERE action = 'audit.list' AND actor_id = $1 AND status = 200 ORDER BY id DESC LIMIT 2",
    [aud.id],
  );
  assert.equal(rows[0].detail.include, 'network', 'the reveal is in the audit row');
  assert.equal(rows[1].detail.include, undefined);
});

test('pagination: a keyset cursor, no duplicates and nothing missing while new rows are written', async () => {
  const existing = (await db.query('SELECT id::text FROM hmk.audit_log')).rows.map((r) => r.id as string);
  const writes = Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? alice : bob, conv, `live ${i}`)));
  const seen: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await get(aud, `/v1/audit?${q({ limit: 7, cursor })}`);
    assert.equal(r.status, 200);
    assert.ok(r.json.items.length <= 7);
    seen.push(...r.json.items);
    cursor = r.json.nextCursor ?? undefined;
    pages += 1;
  } while (cursor);
  for (const s of await writes) assert.equal(s.status, 201);
  const ids = seen.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  const seenSet = new Set(ids);
  assert.deepEqual(
    existing.filter((id) => !seenSet.has(id)),
    [],
    'every row committed before paging began is listed',
  );
  for (let i = 1; i < seen.length; i++) {
    const [a, b] = [seen[i - 1], seen[i]];
    assert.ok(a.at < b.at || (a.at === b.at && BigInt(a.id) < BigInt(b.id)), `ordered by (at, id) at ${i}`);
  }
  assert.ok(pages > 3);
});

test('bad input is a 400 naming the field', async () => {
  const cases: [string, RegExp][] = [
    ['/v1/audit?cursor=!!!', /querystring\.cursor/],
    [`/v1/audit?cursor=${Buffer.from('2025-01-01|1').toString('base64url')}`, /querystring\.cursor is not a cursor/],
    ['/v1/audit?cursor=abc', /querystring\.cursor is not a cursor/],
    ['/v1/audit?limit=0', /querystring\.limit/],
    ['/v1/audit?limit=1001', /querystring\.limit/],
    ['/v1/audit?actor=bob', /querystring\.actor/],
    ['/v1/audit?action=mes%20sage', /querystring\.action/],
    ['/v1/audit?action=message.*.read', /querystring\.action/],
    ['/v1/audit?target=a%27b', /querystring\.target/],
    ['/v1/audit?from=yesterday', /querystring\.from/],
    ['/v1/audit?from=2025-01-01T00:00:00', /querystring\.from/], // no time zone: ambiguous
    ['/v1/audit?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', /querystring\.to must be later/],
    ['/v1/audit?outcome=maybe', /querystring\.outcome/],
    ['/v1/audit?include=names', /querystring\.include/],
    ['/v1/audit?sort=desc', /querystring\.sort/],
    ['/v1/audit/verify?to=2025-01-01T00:00:00Z&from=2025-01-01T00:00:00Z', /querystring\.to must be later/],
    ['/v1/reports/access', /querystring\.conversationId/],
    ['/v1/reports/access?conversationId=42', /querystring\.conversationId/],
    ['/v1/audit/export?format=csv&to=2025-01-02T00:00:00Z', /querystring\.from/],
    ['/v1/audit/export?format=csv&from=2025-01-01T00:00:00Z', /querystring\.to/],
    ['/v1/audit/export?from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z', /querystring\.format/],
    ['/v1/audit/export?format=xml&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z', /querystring\.format/],
    [
      '/v1/audit/export?format=csv&from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:01Z',
      /querystring\.to must be at most 31 days/,
    ],
    // Valid for the JSON-schema format, refused by Postgres: must be a 400 before any export header is sent.
    [
      '/v1/audit/export?format=csv&from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z',
      /querystring\.from must be a date-time from 1970/,
    ],
    [
      '/v1/audit/export?format=json&from=2025-01-01T00:00:00-20:00&to=2025-01-02T00:00:00Z',
      /querystring\.from must be a date-time/,
    ],
    ['/v1/audit?from=9999-12-31T23:59:59-23:59', /querystring\.from must be a date-time/],
    ['/v1/audit?to=2025-06-30T23:59:60Z', /querystring\.to must be a date-time/],
    ['/v1/audit?from=2025-01-01T00:00:00%2B05', /querystring\.from/],
    [
      `/v1/audit?cursor=${Buffer.from('2025-13-45T00:00:00.000000Z|1').toString('base64url')}`,
      /querystring\.cursor is not a cursor/,
    ],
  ];
  for (const [url, message] of cases) {
    const r = await get(aud, url);
    assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error, 'bad_request');
    assert.match(r.json.message, message, url);
  }
  assert.equal(
    (await get(aud, '/v1/audit/export?format=csv&from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z')).status,
    200,
    'exactly 31 days is allowed',
  );
});

test('CSV cells: RFC 4180 quoting, and formula starts are defused', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(404), '404');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\r\nlines'), '"two\r\nlines"');
  assert.equal(csvCell(['x', 'y']), 'x y');
  assert.equal(csvCell({ grantId: 'g', n: 2 }), '"{""grantId"":""g"",""n"":2}"');
  for (const f of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
    assert.equal(csvCell(f)[0] === '"' ? csvCell(f)[1] : csvCell(f)[0], "'", f);
  assert.equal(csvCell('=HYPERLINK("u","v")'), '"\'=HYPERLINK(""u"",""v"")"');
  assert.equal(csvLine(['a', 'b,c', null]), 'a,"b,c",\r\n');
});

test('access report: who touched a conversation, when and how, per actor, ids only', async () => {
  const expected = await db.query(
    `SELECT id::text FROM hmk.audit_log WHERE target_ids && ARRAY[$1, upper($1)] ORDER BY at, id`,
    [conv],
  );
  const r = await get(aud, `/v1/reports/access?conversationId=${conv}`);
  assert.equal(r.status, 200);
  const rep = r.json;
  assert.equal(rep.conversationId, conv);
  assert.equal(rep.truncated, false);
  assert.equal(rep.events.length, rep.totalEvents);
  assert.deepEqual(
    rep.events.map((e: any) => e.id),
    expected.rows.map((x) => x.id),
  );
  const byActor = new Map(rep.actors.map((a: any) => [a.actorId, a]));
  const count = (who: TestUser, action: string, outcome = 'ok') =>
    (byActor.get(who.id) as any)?.counts.find((c: any) => c.action === action && c.outcome === outcome)?.count ?? 0;
  assert.equal(
    count(alice, 'message.send') + count(bob, 'message.send'),
    6 + 40,
    'the six sends and the forty live ones',
  );
  assert.ok(count(bob, 'message.read') >= 1);
  assert.equal(count(eve, 'message.read', 'denied'), 1, 'the refused read');
  assert.ok(count(alice, 'conversation.read') >= 1, 'the read made with the upper-case id');
  assert.ok(byActor.has(admin.id), 'the break-glass grant');
  assert.ok(byActor.has(aud.id), "the auditor's own earlier look-ups are accesses too");
  for (const a of rep.actors as any[]) {
    assert.equal(
      a.events,
      a.counts.reduce((n: number, c: any) => n + c.count, 0),
    );
    assert.ok(a.firstAt <= a.lastAt);
  }
  assert.equal(
    rep.actors.reduce((n: number, a: any) => n + a.events, 0),
    rep.totalEvents,
  );
  const text = JSON.stringify(rep);
  for (const leak of [SECRET_AGENT, SECRET_TEXT.slice(0, 10), 'Display ', '"alice"'])
    assert.ok(!text.includes(leak), leak);
  assert.ok(rep.events.every((e: any) => !('userAgent' in e) && !('sourceIp' in e)));

  const { rows } = await db.query(
    "SELECT target_ids, detail FROM hmk.audit_log WHERE action = 'audit.access_report' AND status = 200 ORDER BY id DESC LIMIT 1",
  );
  assert.deepEqual(rows[0].target_ids, [conv]);
  assert.equal(rows[0].detail.events, rep.totalEvents);

  const none = await get(aud, `/v1/reports/access?conversationId=${randomUUID()}`);
  assert.deepEqual(
    [none.json.totalEvents, none.json.actors, none.json.events, none.json.truncated],
    [0, [], [], false],
  );
});

test('access report caps its event list at 1000 with truncated set; the summary still counts everything', async () => {
  const busy = (await h.request('POST', '/v1/conversations', { token: bob.token, body: { participantIds: [eve.id] } }))
    .json.id;
  for (let i = 0; i < 1005; i += 67) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(67, 1005 - i) }, (_, k) => send(k % 2 ? bob : eve, busy, `b${i + k}`)),
    );
    for (const s of batch) assert.equal(s.status, 201);
  }
  const r = await get(aud, `/v1/reports/access?conversationId=${busy}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.totalEvents, 1006); // the create and 1005 sends
  assert.equal(r.json.events.length, 1000);
  assert.equal(r.json.truncated, true);
  assert.equal(
    r.json.actors.reduce((n: number, a: any) => n + a.events, 0),
    1006,
  );
});

test('export round trip: CSV and JSON hold exactly the listed rows, no message text, and the chain verifies', async () => {
  const from = activityFrom;
  const to = await dbNow();
  const listed = await listAll({ from, to });
  assert.ok(listed.length > 1000, 'more than one export batch');
  const firstPage = await get(aud, `/v1/audit?${q({ from, to })}`);
  assert.equal(firstPage.json.items.length, 100, 'the default page size');
  assert.deepEqual(
    firstPage.json.items.map((r: any) => r.id),
    listed.slice(0, 100).map((r) => r.id),
  );

  const csv = await h.service.app.inject({
    method: 'GET',
    url: `/v1/audit/export?${q({ format: 'csv', from, to })}`,
    headers: { authorization: `Bearer ${aud.token}` },
  });
  assert.equal(csv.statusCode, 200);
  assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  assert.match(
    String(csv.headers['content-disposition']),
    /^attachment; filename="audit-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/,
  );
  const table = parseCsv(csv.body);
  assert.deepEqual(table[0], [...VIEW_FIELDS]);
  const csvIds = table.slice(1).map((row) => row[0]);
  assert.ok(table.slice(1).every((row) => row.length === VIEW_FIELDS.length));

  const json = await h.service.app.inject({
    method: 'GET',
    url: `/v1/audit/export?${q({ format: 'json', from, to })}`,
    headers: { authorization: `Bearer ${aud.token}` },
  });
  assert.equal(json.statusCode, 200);
  assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
  assert.match(String(json.headers['content-disposition']), /\.json"$/);
  const events = JSON.parse(json.body);
  assert.ok(Array.isArray(events));

  const ids = listed.map((r) => r.id);
  assert.deepEqual(csvIds, ids);
  assert.deepEqual(
    events.map((e: any) => e.id),
    ids,
  );
  assert.deepEqual(events, listed, 'the JSON export rows are the listing rows');
  const atCol = VIEW_FIELDS.indexOf('at');
  assert.deepEqual(
    table.slice(1).map((row) => row[atCol]),
    listed.map((r) => r.at),
  );

  for (const body of [csv.body, json.body]) {
    assert.ok(
      !body.includes('ZEBRA') && !body.includes('live 1') && !body.includes(SECRET_AGENT),
      'no message text, no user agent',
    );
  }
  const verified = await get(aud, `/v1/audit/verify?${q({ from, to })}`);
  assert.equal(verified.status, 200);
  assert.equal(verified.json.ok, true, JSON.stringify(verified.json.problems));
  assert.ok(verified.json.rows >= listed.length);
  assert.equal(verified.json.heads.length, 16);
  const whole = await get(aud, '/v1/audit/verify');
  assert.equal(whole.json.ok, true, JSON.stringify(whole.json.problems));

  // Each export was audited with its range and format, before it streamed.
  const { rows } = await db.query(
    "SELECT detail FROM hmk.audit_log WHERE action = 'audit.export' AND actor_id = $1 AND status = 200 ORDER BY id DESC LIMIT 2",
    [aud.id],
  );
  assert.deepEqual(
    rows.map((r) => r.detail),
    [
      { from, to, format: 'json' },
      { from, to, format: 'csv' },
    ],
  );
  const verifyRow = (
    await db.query(
      "SELECT detail FROM hmk.audit_log WHERE action = 'audit.verify' AND status = 200 ORDER BY id DESC LIMIT 1",
    )
  ).rows[0];
  assert.deepEqual(verifyRow.detail, { ok: true, rows: whole.json.rows, problems: 0 });
});

test('CSV export with include=network: the formula-like user agent arrives defused and intact', async () => {
  const csv = await get(
    aud,
    `/v1/audit/export?${q({ format: 'csv', from: activityFrom, to: activityTo, include: 'network' })}`,
  );
  assert.equal(csv.status, 200);
  const table = parseCsv(csv.json);
  const col = table[0].indexOf('userAgent');
  assert.ok(col > 0);
  const agents = table.slice(1).map((row) => row[col]);
  assert.ok(agents.includes(`'${FORMULA_AGENT}`), 'prefixed with a single quote, quotes preserved');
  assert.ok(agents.includes(SECRET_AGENT));
  for (const cell of table.slice(1).flat()) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, 'no cell starts a formula');
  const { rows } = await db.query(
    "SELECT detail FROM hmk.audit_log WHERE action = 'audit.export' ORDER BY id DESC LIMIT 1",
  );
  assert.equal(rows[0].detail.include, 'network');
});

test('verify by range stays clean under live traffic', async () => {
  const from = await dbNow();
  const writes = Promise.all(Array.from({ length: 30 }, (_, i) => send(i % 2 ? alice : bob, conv, `v${i}`)));
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await get(aud, `/v1/audit/verify?${q({ from })}`));
  await writes;
  for (const r of results) assert.equal(r.json.ok, true, JSON.stringify(r.json.problems));
});

test('verify by range: any window of a clean trail verifies, reading at least the rows in it', async () => {
  const ats = (
    await db.query(
      `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM hmk.audit_log ORDER BY at, id`,
    )
  ).rows.map((r) => r.at as string);
  let seed = 7;
  const pick = () => {
    seed = (seed * 48271) % 2147483647;
    return ats[seed % ats.length];
  };
  for (let k = 0; k < 40; k++) {
    let [from, to]: (string | undefined)[] = [pick(), pick()].sort();
    if (from === to) continue;
    if (k % 5 === 0) to = undefined;
    if (k % 7 === 0) from = undefined;
    const result = await verifyAuditChain(db, { from, to });
    assert.equal(result.ok, true, `${from}..${to}: ${JSON.stringify(result.problems)}`);
    const inRange = ats.filter((a) => (from === undefined || a >= from) && (to === undefined || a < to)).length;
    assert.ok(result.rows >= inRange, `${from}..${to}: read ${result.rows} of ${inRange}`);
  }
});

test('tampering as the owner is reported: an edited row, a removed row, and every row of a chain in the range', async () => {
  const from = activityFrom;
  const to = await dbNow();
  const verify = async (params: Record<string, string | undefined>) => {
    const r = await get(aud, `/v1/audit/verify?${q(params)}`);
    assert.equal(r.status, 200);
    return r.json;
  };
  // A row well inside the range, not at the start of its chain.
  const {
    rows: [victim],
  } = await db.query(
    `SELECT id::text, chain, seq::text, outcome FROM hmk.audit_log WHERE action = 'message.send' AND seq > 3 AND at < $1
      ORDER BY at LIMIT 1 OFFSET 100`,
    [to],
  );
  await db.query('BEGIN');
  await db.query('SET LOCAL session_replication_role = replica'); // the owner switches the append-only triggers off
  await db.query("UPDATE hmk.audit_log SET outcome = 'denied' WHERE id = $1", [victim.id]);
  await db.query('COMMIT');
  let result = await verify({ from, to });
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems, [
    { chain: victim.chain, seq: victim.seq, id: victim.id, reason: 'row content does not match its hash' },
  ]);
  assert.ok(
    (await verify({})).problems.some((p: any) => p.id === victim.id),
    'and by the whole-chain check',
  );
  assert.equal((await verify({ from: to })).ok, true, 'a range after the edit does not read it');

  await db.query('BEGIN');
  await db.query('SET LOCAL session_replication_role = replica');
  await db.query('UPDATE hmk.audit_log SET outcome = $2 WHERE id = $1', [victim.id, victim.outcome]);
  await db.query('COMMIT');
  assert.equal((await verify({ from, to })).ok, true, 'restoring the value restores the hash');

  // Removing every row a chain has inside a short range is still a gap: the rows around it no longer link.
  const iso = (col: string) => `to_char((${col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const {
    rows: [lone],
  } = await db.query(
    `SELECT id::text, chain, ${iso('at')} AS "from", ${iso("at + interval '1 microsecond'")} AS "to" FROM hmk.audit_log a
      WHERE chain <> $1 AND seq > 2 AND at > $2
        AND seq < (SELECT h.seq FROM hmk.audit_chain_heads h WHERE h.chain = a.chain) - 2
      ORDER BY at LIMIT 1`,
    [victim.chain, from],
  );
  const inRange = await db.query(
    'SELECT count(*)::int AS n FROM hmk.audit_log WHERE chain = $1 AND at >= $2 AND at < $3',
    [lone.chain, lone.from, lone.to],
  );
  assert.equal(inRange.rows[0].n, 1, 'the chain has exactly this row in the range');
  const before = await verify({ from: lone.from, to: lone.to });
  assert.equal(before.ok, true, JSON.stringify(before.problems));
  await db.query('BEGIN');
  await db.query('SET LOCAL session_replication_role = replica');
  await db.query('DELETE FROM hmk.audit_log WHERE id = $1', [lone.id]);
  await db.query('COMMIT');
  result = await verify({ from: lone.from, to: lone.to });
  assert.equal(result.ok, false);
  assert.ok(
    result.problems.some((p: any) => p.chain === lone.chain && /gap/.test(p.reason)),
    JSON.stringify(result.problems),
  );

  // Removing a row in the middle of a chain leaves a gap.
  const {
    rows: [gone],
  } = await db.query(
    `SELECT id::text, chain, seq FROM hmk.audit_log WHERE chain NOT IN ($1, $4) AND seq > 3 AND at >= $2 AND at < $3 ORDER BY at LIMIT 1`,
    [victim.chain, from, to, lone.chain],
  );
  await db.query('BEGIN');
  await db.query('SET LOCAL session_replication_role = replica');
  await db.query('DELETE FROM hmk.audit_log WHERE id = $1', [gone.id]);
  await db.query('COMMIT');
  result = await verify({ from, to });
  assert.ok(
    result.problems.some((p: any) => p.chain === gone.chain && /gap: expected seq/.test(p.reason)),
    JSON.stringify(result.problems),
  );

  // The owner-side verifier (the CLI's) agrees.
  const direct = await verifyAuditChain(db, { from, to });
  assert.equal(direct.ok, false);
});

test("a refused request naming an upper-case id still shows in the conversation's access report", async () => {
  const probe = await h.user('probe-upper', { groups: ['clinician'] });
  const r = await get(probe, `/v1/conversations/${conv.toUpperCase()}/messages`);
  assert.equal(r.status, 404);
  const row = await db.query("SELECT target_ids FROM hmk.audit_log WHERE actor_id = $1 AND action = 'message.read'", [
    probe.id,
  ]);
  assert.deepEqual(
    row.rows.map((x) => x.target_ids),
    [[conv]],
    'stored in lower case',
  );
  const report = await get(aud, `/v1/reports/access?conversationId=${conv}`);
  assert.ok(
    report.json.actors.some((a: { actorId: string }) => a.actorId === probe.id),
    'the denied attempt is reported',
  );
});
