// Test harness: one embedded Postgres per test process (started once), a fresh database per
// harness, a local OIDC issuer, and the service built in-process with the local keyring and sink.
import { after } from 'node:test';
import { Writable } from 'node:stream';
import pg from 'pg';
import { startService, type Service } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { LocalKeyring } from '../src/crypto/keyring-local.js';
import { LocalNotifySink } from '../src/notify/sink.js';
import { LocalPushSink } from '../src/push/sink.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/dev/embedded-pg.js';
import { startLocalIssuer, type LocalIssuer, type TokenClaims } from '../src/dev/local-issuer.js';
import { randomUUID } from 'node:crypto';
import { captureEmitted, captureSubmitted } from './capture.js';

let serverPromise: Promise<EmbeddedServer> | undefined;
let dbCounter = 0;

// Registered at import time so it runs once, after every test in the file.
after(async () => {
  if (serverPromise) await (await serverPromise).stop();
});

/** Admin URL of the shared server (started once by test/run.ts), or of one started for this file. */
async function adminUrl(): Promise<string> {
  if (process.env.HMK_TEST_PG_ADMIN_URL) return process.env.HMK_TEST_PG_ADMIN_URL;
  serverPromise ??= startEmbeddedPostgres({ fast: true });
  return (await serverPromise).url();
}

export async function freshDatabase(): Promise<string> {
  const admin = await ownerClient(await adminUrl());
  const name = `t_${process.pid}_${++dbCounter}`;
  try {
    await admin.query(`CREATE DATABASE ${name} STRATEGY = FILE_COPY`);
  } finally {
    await admin.end();
  }
  const url = new URL(await adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function ownerClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // the server may stop first at the end of a file
  await c.connect();
  return c;
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  sessionId: string;
}

export interface Harness {
  config: Config;
  dbUrl: string;
  issuer: LocalIssuer;
  service: Service;
  sink: LocalPushSink;
  keyring: LocalKeyring;
  logs: string[];
  request(
    method: string,
    url: string,
    opts?: { token?: string; body?: unknown; payload?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; json: any; headers: Record<string, unknown> }>;
  user(username?: string, claims?: TokenClaims): Promise<TestUser>;
  owner(): Promise<pg.Client>;
  close(): Promise<void>;
}

/**
 * Password of the serving login (hmk_service) in tests. Roles are server-wide, so every test file and
 * child process shares one value; the service's migration step sets it.
 */
export const TEST_SERVICE_PASSWORD = 'hmk-test-service-login';

export function baseEnv(dbUrl: string, issuer: LocalIssuer): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: dbUrl,
    DB_SERVICE_PASSWORD: TEST_SERVICE_PASSWORD,
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_AUDIENCE: issuer.audience,
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
    PUSH_MODE: 'sink',
    PUSH_POLL_MS: '50',
  };
}

export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dbUrl = await freshDatabase();
  const issuer = await startLocalIssuer();
  const config = loadConfig({ ...baseEnv(dbUrl, issuer), ...env });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const sink = new LocalPushSink();
  const keyring = new LocalKeyring();
  const service = await startService(config, { push: sink, keyProvider: keyring, logStream });
  const clients: pg.Client[] = [];

  const h: Harness = {
    config,
    dbUrl,
    issuer,
    service,
    sink,
    keyring,
    logs,
    async request(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let payload: string | undefined = opts.payload;
      if (opts.body !== undefined) {
        captureSubmitted(opts.body);
        payload = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await service.app.inject({ method: method as 'GET', url, headers, payload });
      let json: any;
      try {
        json = res.json();
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, json, headers: res.headers };
    },
    async user(username = `user-${randomUUID().slice(0, 8)}`, claims = {}) {
      const id = claims.sub ?? randomUUID();
      const sessionId = randomUUID();
      const token = issuer.mint({ username, sub: id, jti: sessionId, ...claims });
      const res = await h.request('PUT', '/v1/contacts/me', { token, body: { displayName: `Display ${username}` } });
      if (res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.json)}`);
      return { id, username, token, sessionId: claims.originJti ?? claims.jti ?? sessionId };
    },
    async owner() {
      const c = await ownerClient(dbUrl);
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end()));
      await service.close();
      await issuer.close();
      captureEmitted('logs', logs);
      captureEmitted(
        'pushes',
        sink.delivered.map((d) => JSON.stringify(d)),
      );
      if (service.notifier instanceof LocalNotifySink)
        captureEmitted(
          'notices',
          service.notifier.sent.map((n) => JSON.stringify(n)),
        );
    },
  };
  return h;
}

/** Runs `sql` on the service's own pool (hmk_app) as `user` holding `roles`, then rolls back. */
export async function asRoles(
  h: Harness,
  user: TestUser,
  roles: string[],
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult> {
  const c = await h.service.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT hmk.begin_request($1, $2, 900, $3)', [user.id, user.sessionId, roles]);
    return await c.query(sql, params);
  } finally {
    await c.query('ROLLBACK');
    c.release();
  }
}
