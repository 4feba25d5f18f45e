// Sign-in: token verification, audience from aud or client_id, roles, banner, idle logoff (P14).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startLocalIssuer, type LocalIssuer } from '../src/dev/local-issuer.js';
import { startService } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { baseEnv, createHarness, TEST_SERVICE_PASSWORD, type Harness } from './helpers.js';

let h: Harness;
let rogue: LocalIssuer;
before(async () => {
  h = await createHarness({ BANNER_TEXT: 'Authorised use only. Activity is monitored.' });
  rogue = await startLocalIssuer(h.issuer.audience);
});
after(async () => {
  await rogue.close();
  await h.close();
});

const session = (token: string, headers: Record<string, string> = {}) =>
  h.request('GET', '/v1/session', { token, headers });

test('GET /v1/session returns the user, roles, banner and idle timeout', async () => {
  const sub = randomUUID();
  const r = await session(h.issuer.mint({ sub, username: 'dr-who', groups: ['clinician', 'admin', 'not-a-role'] }));
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    userId: sub,
    username: 'dr-who',
    roles: ['clinician', 'admin'],
    banner: 'Authorised use only. Activity is monitored.',
    idleTimeoutSeconds: 900,
  });
  const member = await session(h.issuer.mint({ groups: [] }));
  assert.deepEqual(member.json.roles, ['member']);
});

test('Cognito access tokens are accepted through client_id', async () => {
  assert.equal((await session(h.issuer.mint({ clientId: h.issuer.audience }))).status, 200);
  assert.equal((await session(h.issuer.mint({ clientId: 'other-client' }))).status, 401);
});

test('bad, expired, wrong-audience, wrong-issuer and unsigned tokens get 401 and an audit row', async () => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({ sub: randomUUID(), iss: h.issuer.issuer, aud: h.issuer.audience, exp: 9999999999, jti: 'x' }),
  ).toString('base64url');
  const valid = h.issuer.mint();
  const [head, body] = valid.split('.');
  const forgedBody = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), 'cognito:groups': ['admin'] }),
  ).toString('base64url');
  const cases: Record<string, string | undefined> = {
    missing: undefined,
    junk: 'junk',
    expired: h.issuer.mint({ expiresInSeconds: -120 }),
    wrongAudience: h.issuer.mint({ aud: 'someone-else' }),
    otherIssuerKey: rogue.mint(),
    unsigned: `${header}.${payload}.`,
    tamperedClaims: `${head}.${forgedBody}.${valid.split('.')[2]}`,
    nonUuidSubject: h.issuer.mint({ sub: 'not-a-uuid' }),
  };
  const db = await h.owner();
  // Refusals without a signed-in user are audited once per source per window, the rest as one counted row.
  const refused401 = async () =>
    (
      await db.query(
        "SELECT coalesce(sum(coalesce((detail->>'count')::int, 1)), 0)::int AS n FROM hmk.audit_log WHERE status = 401",
      )
    ).rows[0].n;
  await h.service.refusals.flush(true);
  const before = await refused401();
  for (const [name, token] of Object.entries(cases)) {
    const r = await session(token as string);
    assert.equal(r.status, 401, name);
    assert.equal(r.json.error, 'unauthorized', name);
    assert.equal(typeof r.json.message, 'string');
  }
  assert.match((await session(cases.expired!)).json.message, /expired/);
  await h.service.refusals.flush(true);
  const afterCount = await refused401();
  assert.equal(afterCount - before, Object.keys(cases).length + 1, 'every refused sign-in is audited (or counted)');
});

test('X-Forwarded-For is ignored without TRUST_PROXY', async () => {
  const token = h.issuer.mint();
  await session(token, { 'x-forwarded-for': '198.51.100.99' });
  const db = await h.owner();
  const { rows } = await db.query(
    "SELECT source_ip FROM hmk.audit_log WHERE action = 'session.read' ORDER BY id DESC LIMIT 1",
  );
  assert.equal(rows[0].source_ip, '127.0.0.1');
});

test('a session idle for longer than the timeout is refused even with a valid token', async () => {
  const jti = randomUUID();
  const token = h.issuer.mint({ jti });
  assert.equal((await session(token)).status, 200);
  const db = await h.owner();
  await db.query("UPDATE hmk.sessions SET last_seen = now() - interval '901 seconds' WHERE session_id = $1", [jti]);
  const r = await session(token);
  assert.equal(r.status, 401);
  assert.equal(r.json.message, 'session expired due to inactivity');
  // Every route is covered, not only /v1/session.
  assert.equal((await h.request('GET', '/v1/conversations', { token })).status, 401);
  // ... and an idle session cannot reach SNS before it is refused.
  let registrations = 0;
  const register = h.sink.registerEndpoint.bind(h.sink);
  h.sink.registerEndpoint = async (...args) => {
    registrations += 1;
    return register(...args);
  };
  const device = await h.request('POST', '/v1/devices', {
    token,
    body: { platform: 'fcm', token: 'fcm-token-idle-0123456789' },
  });
  assert.equal(device.status, 401);
  assert.equal(registrations, 0, 'no endpoint was created for the idle session');
  // A refreshed token keeps its origin_jti, so it cannot revive the idle session ...
  const refreshed = h.issuer.mint({ originJti: jti, jti: randomUUID() });
  assert.equal((await session(refreshed)).status, 401);
  // ... but a new sign-in (new token, new jti) starts a new session.
  assert.equal((await session(h.issuer.mint())).status, 200);
  const audit = await db.query(
    'SELECT outcome FROM hmk.audit_log WHERE status = 401 AND actor_id IS NOT NULL ORDER BY id DESC LIMIT 1',
  );
  assert.equal(audit.rows[0].outcome, 'denied', 'the idle refusal is audited with the actor');
});

test('idle logoff in real time, and activity keeps a session alive', async () => {
  const short = await createHarness({ IDLE_TIMEOUT_SECONDS: '1' });
  try {
    const token = short.issuer.mint();
    const s = () => short.request('GET', '/v1/session', { token });
    assert.equal((await s()).status, 200);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await s()).status, 200, 'active session stays alive');
    }
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal((await s()).status, 401);
  } finally {
    await short.close();
  }
});

test('every documented route refuses a request without a valid token', async () => {
  const doc = (await h.request('GET', '/v1/openapi.json')).json;
  // Routes that carry their own credential (the local store's signed URLs) are the only ones without a token.
  const open = new Set(
    h.service.app.routeTable.filter((r) => !r.auth).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
  );
  const failures: string[] = [];
  let checked = 0;
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(ops)) {
      if (open.has(`${method.toUpperCase()} ${path}`)) continue;
      const url = path.replace(/\{[^}]+\}/g, randomUUID());
      for (const token of [undefined, h.issuer.mint({ expiresInSeconds: -60 })]) {
        const r = await h.request(method.toUpperCase(), url, { token, body: method === 'get' ? undefined : {} });
        checked += 1;
        if (r.status !== 401) failures.push(`${method.toUpperCase()} ${path}: ${r.status}`);
      }
    }
  }
  const authenticated = h.service.app.routeTable.filter((r) => r.auth && !r.hidden && r.url.startsWith('/v1/')).length;
  assert.ok(authenticated >= 30, `${authenticated} authenticated operations`);
  assert.equal(checked, authenticated * 2, 'every authenticated operation, two bad tokens each');
  assert.deepEqual(failures, []);
});

test('only access tokens are accepted: an ID token (token_use "id") is refused, naming the fix', async () => {
  const id = await session(h.issuer.mint({ tokenUse: 'id' }));
  assert.equal(id.status, 401);
  assert.match(id.json.message, /access token.*not the ID token/);
  assert.equal((await session(h.issuer.mint({ tokenUse: 'refresh' }))).status, 401);
  assert.equal((await session(h.issuer.mint())).status, 200, 'the issuer mints access tokens by default');
});

test('a user not in the directory may register and read the session, and nothing else until registered', async () => {
  const token = h.issuer.mint({ username: 'not-yet-registered' });
  const checks: [string, string, unknown?][] = [
    ['GET', '/v1/conversations'],
    ['GET', '/v1/contacts'],
    ['GET', '/v1/devices'],
    ['POST', '/v1/conversations', { participantIds: [randomUUID()] }],
  ];
  for (const [method, url, body] of checks) {
    const r = await h.request(method, url, { token, body });
    assert.equal(r.status, 403, `${method} ${url}`);
    assert.match(r.json.message, /register first with PUT \/v1\/contacts\/me/, `${method} ${url}`);
  }
  assert.equal((await session(token)).status, 200, 'the session can be read before registering');
  assert.equal((await h.request('PUT', '/v1/contacts/me', { token, body: {} })).status, 200);
  assert.equal((await h.request('GET', '/v1/conversations', { token })).status, 200, 'registered: allowed');
});

test('an idle session expired on one instance stays expired on another with a longer timeout', async () => {
  // Two services on one database: this file's (900 s) and one with a 60 s timeout.
  const shortConfig = loadConfig({
    ...baseEnv(h.dbUrl, h.issuer),
    IDLE_TIMEOUT_SECONDS: '60',
    DB_SERVICE_PASSWORD: TEST_SERVICE_PASSWORD,
  });
  const short = await startService(shortConfig, {
    keyProvider: h.keyring,
    push: h.sink,
    logStream: { write: () => true } as never,
  });
  try {
    const sessionId = randomUUID();
    const token = h.issuer.mint({ username: 'two-instances', jti: sessionId });
    const onShort = () =>
      short.app.inject({ method: 'GET', url: '/v1/session', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await onShort()).statusCode, 200, 'the session starts on the 60 s instance');
    const db = await h.owner();
    // Two minutes idle: past the 60 s the session was last active under, within the other instance's 900 s.
    await db.query("UPDATE hmk.sessions SET last_seen = now() - interval '120 seconds' WHERE session_id = $1", [
      sessionId,
    ]);
    assert.equal((await onShort()).statusCode, 401, 'expired on the 60 s instance');
    const other = await session(token);
    assert.equal(other.status, 401, 'and on the 900 s instance too');
    assert.match(other.json.message, /expired due to inactivity/);
    assert.equal((await onShort()).statusCode, 401, 'still expired');
  } finally {
    await short.close();
  }
});
