// Transport hardening (issue 15, item 3): no-store on every response, slow clients cut off by the request and header
// timeouts, and request encodings the service does not decode refused with 415.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let alice: TestUser;
let port: number;
before(async () => {
  h = await createHarness({ REQUEST_TIMEOUT_SECONDS: '2', HEADERS_TIMEOUT_SECONDS: '1' });
  alice = await h.user('alice');
  await h.service.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.service.app.server.address() as { port: number }).port;
});
after(() => h.close());

test('Cache-Control: no-store on authenticated replies, errors and the health check', async () => {
  const replies = {
    session: await h.request('GET', '/v1/session', { token: alice.token }),
    conversations: await h.request('GET', '/v1/conversations', { token: alice.token }),
    refused: await h.request('GET', '/v1/conversations'),
    notFound: await h.request('GET', '/v1/nothing-here', { token: alice.token }),
    health: await h.request('GET', '/health'),
  };
  for (const [name, r] of Object.entries(replies)) assert.equal(r.headers['cache-control'], 'no-store', name);
});

test('a Content-Encoding the service does not decode is a 415 naming the header and the fix', async () => {
  const r = await h.request('PUT', '/v1/contacts/me', {
    token: alice.token,
    payload: gzipSync(JSON.stringify({ displayName: 'A' })).toString('latin1'),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  });
  assert.equal(r.status, 415);
  assert.match(r.json.message, /^content-encoding "gzip" is not accepted: send the body uncompressed/);
  const identity = await h.request('PUT', '/v1/contacts/me', {
    token: alice.token,
    body: { displayName: 'A' },
    headers: { 'content-encoding': 'identity' },
  });
  assert.equal(identity.status, 200, 'identity is no encoding');
});

test('a JSON charset other than UTF-8 is a 415; utf-8 (any spelling) is accepted', async () => {
  const put = (contentType: string) =>
    h.request('PUT', '/v1/contacts/me', {
      token: alice.token,
      payload: JSON.stringify({ displayName: 'A' }),
      headers: { 'content-type': contentType },
    });
  const latin1 = await put('application/json; charset=iso-8859-1');
  assert.equal(latin1.status, 415);
  assert.match(latin1.json.message, /^content-type charset "iso-8859-1" is not accepted: send UTF-8 JSON/);
  assert.equal((await put('application/json; charset=utf-16')).status, 415);
  assert.equal((await put('application/json; charset=UTF-8')).status, 200);
  assert.equal((await put('application/json;charset="utf8"')).status, 200);
  assert.equal((await put('application/json')).status, 200);
});

/** Opens a raw connection, writes `head`, then one byte of `dribble` every `everyMs`; resolves when the server closes. */
function slowClient(head: string, dribble: string, everyMs: number) {
  return new Promise<{ ms: number; reply: string; sent: number }>((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < dribble.length && !socket.destroyed) socket.write(dribble[sent++]);
      }, everyMs);
    });
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, reply, sent });
    });
  });
}

test('a connection dribbling its body is cut off at the request timeout', async () => {
  const body = JSON.stringify({ displayName: 'x'.repeat(200) });
  const head =
    'PUT /v1/contacts/me HTTP/1.1\r\nHost: localhost\r\n' +
    `Authorization: Bearer ${alice.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  // One byte every 100 ms would take 20 s; the request timeout is 2 s (checked every second).
  const r = await slowClient(head, body, 100);
  assert.ok(r.ms < 6000, `closed after ${r.ms} ms`);
  assert.ok(r.sent < body.length, 'closed before the body was complete');
  assert.match(r.reply, /^HTTP\/1\.1 408/);
});

test('a connection dribbling its headers is cut off at the headers timeout', async () => {
  const head = 'GET /v1/session HTTP/1.1\r\nHost: localhost\r\n';
  const r = await slowClient(head, `X-Slow: ${'y'.repeat(200)}\r\n\r\n`, 100);
  assert.ok(r.ms < 5000, `closed after ${r.ms} ms`);
  assert.match(r.reply, /^HTTP\/1\.1 408/);
});
