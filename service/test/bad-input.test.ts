// Hostile and malformed input: every case gets a 4xx with {error, message}; never a 5xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser, bob: TestUser;
let conv: string;
before(async () => {
  h = await createHarness();
  alice = await h.user('alice');
  bob = await h.user('bob');
  conv = (await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })).json
    .id;
});
after(() => h.close());

const INJECTIONS = [
  "'; DROP TABLE hmk.messages; --",
  "' OR '1'='1",
  '"); SELECT pg_sleep(5); --',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '%00%27',
];

interface Case {
  name: string;
  method: string;
  url: string;
  body?: unknown;
  payload?: string;
  headers?: Record<string, string>;
  expect: number;
  field?: RegExp;
}

function cases(): Case[] {
  const msgs = `/v1/conversations/${conv}/messages`;
  const json = { 'content-type': 'application/json' };
  return [
    {
      name: 'malformed JSON',
      method: 'POST',
      url: msgs,
      payload: '{"body": "unterminated',
      headers: json,
      expect: 400,
    },
    { name: 'JSON array instead of object', method: 'POST', url: msgs, payload: '["x"]', headers: json, expect: 400 },
    { name: 'empty JSON body', method: 'POST', url: msgs, payload: '', headers: json, expect: 400 },
    {
      name: 'prototype pollution',
      method: 'POST',
      url: msgs,
      payload: '{"body":"x","__proto__":{"admin":true}}',
      headers: json,
      expect: 400,
    },
    {
      name: 'text/plain body',
      method: 'POST',
      url: msgs,
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
      expect: 415,
    },
    { name: 'body is a number', method: 'POST', url: msgs, body: { body: 42 }, expect: 400, field: /body\.body/ },
    { name: 'body is null', method: 'POST', url: msgs, body: { body: null }, expect: 400, field: /body\.body/ },
    { name: 'body missing', method: 'POST', url: msgs, body: {}, expect: 400, field: /body\.body/ },
    { name: 'body empty', method: 'POST', url: msgs, body: { body: '' }, expect: 400, field: /body\.body/ },
    {
      name: 'extra field',
      method: 'POST',
      url: msgs,
      body: { body: 'x', senderId: bob.id },
      expect: 400,
      field: /senderId/,
    },
    {
      name: 'oversize body (bytes, not characters)',
      method: 'POST',
      url: msgs,
      body: { body: 'é'.repeat(4097) },
      expect: 413,
      field: /body\.body/,
    },
    { name: 'huge request', method: 'POST', url: msgs, body: { body: 'x'.repeat(200_000) }, expect: 413 },
    {
      name: 'lone surrogate',
      method: 'POST',
      url: msgs,
      payload: '{"body":"\\ud800"}',
      headers: json,
      expect: 400,
      field: /body\.body/,
    },
    {
      name: 'participantIds not an array',
      method: 'POST',
      url: '/v1/conversations',
      body: { participantIds: bob.id },
      expect: 400,
      field: /participantIds/,
    },
    {
      name: 'participantIds with a number',
      method: 'POST',
      url: '/v1/conversations',
      body: { participantIds: [123] },
      expect: 400,
      field: /participantIds\[0\]/,
    },
    {
      name: 'participantIds with junk',
      method: 'POST',
      url: '/v1/conversations',
      body: { participantIds: [INJECTIONS[0]] },
      expect: 400,
      field: /participantIds\[0\]/,
    },
    {
      name: 'participantIds empty',
      method: 'POST',
      url: '/v1/conversations',
      body: { participantIds: [] },
      expect: 400,
      field: /participantIds/,
    },
    {
      name: 'endToEnd as string',
      method: 'POST',
      url: '/v1/conversations',
      body: { participantIds: [bob.id], endToEnd: 'yes' },
      expect: 400,
      field: /endToEnd/,
    },
    {
      name: 'displayName with NUL',
      method: 'PUT',
      url: '/v1/contacts/me',
      body: { displayName: 'a\u0000b' },
      expect: 400,
      field: /displayName/,
    },
    {
      name: 'displayName too long',
      method: 'PUT',
      url: '/v1/contacts/me',
      body: { displayName: 'x'.repeat(101) },
      expect: 400,
      field: /displayName/,
    },
    {
      name: 'displayName object',
      method: 'PUT',
      url: '/v1/contacts/me',
      body: { displayName: { $ne: 1 } },
      expect: 400,
      field: /displayName/,
    },
    { name: 'username with NUL', method: 'GET', url: '/v1/contacts?username=a%00b', expect: 400, field: /username/ },
    {
      name: 'username repeated',
      method: 'GET',
      url: '/v1/contacts?username=a&username=b',
      expect: 400,
      field: /username/,
    },
    { name: 'unknown query parameter', method: 'GET', url: '/v1/contacts?role=admin', expect: 400 },
    {
      name: 'junk conversation id',
      method: 'GET',
      url: '/v1/conversations/not-a-uuid/messages',
      expect: 400,
      field: /params\.id/,
    },
    {
      name: 'injection in conversation id',
      method: 'GET',
      url: `/v1/conversations/${encodeURIComponent(INJECTIONS[1])}/messages`,
      expect: 400,
      field: /params\.id/,
    },
    { name: 'path traversal id', method: 'GET', url: '/v1/conversations/..%2F..%2Fetc%2Fpasswd', expect: 400 },
    { name: 'very long id', method: 'GET', url: `/v1/conversations/${'a'.repeat(5000)}`, expect: 414 },
    { name: 'unknown conversation', method: 'GET', url: `/v1/conversations/${randomUUID()}/messages`, expect: 404 },
    {
      name: 'send to unknown conversation',
      method: 'POST',
      url: `/v1/conversations/${randomUUID()}/messages`,
      body: { body: 'x' },
      expect: 404,
    },
    { name: 'junk cursor', method: 'GET', url: `${msgs}?before=zzz`, expect: 400, field: /before/ },
    { name: 'limit zero', method: 'GET', url: `${msgs}?limit=0`, expect: 400, field: /limit/ },
    { name: 'limit huge', method: 'GET', url: `${msgs}?limit=100000`, expect: 400, field: /limit/ },
    { name: 'limit text', method: 'GET', url: `${msgs}?limit=ten`, expect: 400, field: /limit/ },
    { name: 'junk key user id', method: 'GET', url: '/v1/keys/12345', expect: 400, field: /userId/ },
    { name: 'unknown key user', method: 'GET', url: `/v1/keys/${randomUUID()}`, expect: 404 },
    {
      name: 'public key with control chars',
      method: 'PUT',
      url: '/v1/keys/me',
      body: { publicKey: `${'A'.repeat(20)}\u0007` },
      expect: 400,
      field: /publicKey/,
    },
    {
      name: 'device platform unknown',
      method: 'POST',
      url: '/v1/devices',
      body: { platform: 'sms', token: 'abcdefgh12' },
      expect: 400,
      field: /platform/,
    },
    {
      name: 'device token with spaces',
      method: 'POST',
      url: '/v1/devices',
      body: { platform: 'fcm', token: 'abc def ghi' },
      expect: 400,
      field: /token/,
    },
    { name: 'unknown route', method: 'GET', url: '/v1/admin', expect: 404 },
    { name: 'wrong method', method: 'DELETE', url: '/v1/conversations', expect: 404 },
  ];
}

test('each bad input gets the expected 4xx, naming the field where there is one', async () => {
  const problems: string[] = [];
  for (const c of cases()) {
    const r = await h.request(c.method, c.url, {
      token: alice.token,
      body: c.body,
      payload: c.payload,
      headers: c.headers,
    });
    if (r.status !== c.expect)
      problems.push(`${c.name}: expected ${c.expect}, got ${r.status} ${JSON.stringify(r.json)}`);
    else if (typeof r.json?.error !== 'string' || typeof r.json?.message !== 'string')
      problems.push(`${c.name}: not {error, message}`);
    else if (c.field && !c.field.test(r.json.message))
      problems.push(`${c.name}: message "${r.json.message}" does not name ${c.field}`);
  }
  assert.deepEqual(problems, []);
});

test('injection strings are just data', async () => {
  for (const s of INJECTIONS) {
    const sent = await h.request('POST', `/v1/conversations/${conv}/messages`, {
      token: alice.token,
      body: { body: s },
    });
    assert.equal(sent.status, 201, s);
    assert.equal(
      (await h.request('GET', `/v1/contacts?username=${encodeURIComponent(s)}`, { token: alice.token })).status,
      200,
    );
    assert.equal(
      (await h.request('GET', `/v1/contacts?q=${encodeURIComponent(s.slice(0, 60))}`, { token: alice.token })).status,
      200,
    );
  }
  const back = await h.request('GET', `/v1/conversations/${conv}/messages?limit=${INJECTIONS.length}`, {
    token: bob.token,
  });
  assert.deepEqual(back.json.map((m: { body: string }) => m.body).reverse(), INJECTIONS);
  const db = await h.owner();
  assert.ok(
    (await db.query('SELECT count(*)::int AS n FROM hmk.messages')).rows[0].n >= INJECTIONS.length,
    'table intact',
  );
});

test('unicode round-trips: emoji, RTL, zero-width, combining marks, NUL', async () => {
  const text = 'שלום 👩🏽‍⚕️ e\u0301 \u200b\u200f 中文 \u0000 end';
  const sent = await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    body: { body: text },
  });
  assert.equal(sent.status, 201);
  const back = await h.request('GET', `/v1/conversations/${conv}/messages?limit=1`, { token: bob.token });
  assert.equal(back.json[0].body, text);
  const exact = await h.request('POST', `/v1/conversations/${conv}/messages`, {
    token: alice.token,
    body: { body: 'é'.repeat(4096) },
  });
  assert.equal(exact.status, 201, 'exactly 8 KiB is allowed');
});

test('429 once the rate limit is exceeded', async () => {
  const limited = await createHarness({ RATE_LIMIT_PER_MINUTE: '5' });
  try {
    const token = limited.issuer.mint();
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await limited.request('GET', '/v1/session', { token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const r = await limited.request('GET', '/v1/session', { token });
    assert.equal(r.json.error, 'too_many_requests');
    assert.equal((await limited.request('GET', '/health')).status, 200, 'health checks are not limited');
  } finally {
    await limited.close();
  }
});

test('reasons must be visible text and names must not be blank (zero-width, bidi-override and C1 characters refused)', async () => {
  const admin = await h.user('bad-input-admin', { groups: ['admin'] });
  const other = await h.user('bad-input-other', { groups: ['admin'] });
  const invisible = [
    '\u200b'.repeat(20),
    '\u202e'.repeat(20),
    ' '.repeat(25),
    '\u0085'.repeat(20),
    `${'\u200b'.repeat(15)}abcde`,
  ];
  for (const reason of invisible) {
    const r = await h.request('POST', '/v1/legal-holds', { token: admin.token, body: { userId: other.id, reason } });
    assert.equal(r.status, 400, JSON.stringify(reason));
    assert.match(
      r.json.message,
      /^body\.reason must (say why in at least 10 visible characters|be printable text)/,
      JSON.stringify(reason),
    );
  }
  for (const displayName of ['     ', '\u200b', 'Jane\u202eeoD', 'x\u0085y']) {
    const r = await h.request('PUT', '/v1/contacts/me', { token: admin.token, body: { displayName } });
    assert.equal(r.status, 400, JSON.stringify(displayName));
    assert.equal(
      r.json.message,
      'body.displayName must be printable text: not blank, without control, zero-width or direction-override characters',
    );
  }
  assert.equal(
    (await h.request('PUT', '/v1/contacts/me', { token: admin.token, body: { displayName: 'Dr. Zoë Ng-Okafor' } }))
      .status,
    200,
  );
  const self = await h.request('POST', `/v1/contacts/${admin.id}/close`, { token: admin.token });
  assert.equal(self.status, 409);
  assert.match(self.json.message, /^params\.id: you cannot close your own account/);
});

test('a route without query parameters refuses any, naming it', async () => {
  const u = await h.user('query-typo');
  for (const url of ['/v1/session?x=1', '/v1/conversations?limt=5', '/v1/devices?debug=true']) {
    const r = await h.request('GET', url, { token: u.token });
    assert.equal(r.status, 400, url);
    assert.match(r.json.message, /^querystring\.\w+ must NOT have additional properties/, url);
  }
});
