import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig } from '../src/config.js';
import { serviceOptions } from '../src/db/pool.js';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  AUTH_ISSUER: 'http://127.0.0.1:9999',
  AUTH_JWKS_URI: 'http://127.0.0.1:9999/.well-known/jwks.json',
  AUTH_AUDIENCE: 'client-a,client-b',
};

/** What production needs for break-glass notices, crypto-shredding and attachments (the kit sets them all). */
const PROD_STORES = {
  OPS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:ops',
  KEY_STORE_TABLE: 'hipaa-kit-example-conversation-keys',
  ATTACHMENTS_BUCKET: 'hipaa-kit-example-phi-111111111111',
  ATTACHMENTS_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

function rejects(env: Record<string, string>, variable: string) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable,
    `expected ConfigError for ${variable}`,
  );
}

test('defaults', () => {
  const c = loadConfig(valid);
  assert.equal(c.idleTimeoutSeconds, 900);
  assert.equal(c.maxMessageBytes, 8192);
  assert.equal(c.directoryMode, 'enterprise');
  assert.deepEqual(c.auth.audience, ['client-a', 'client-b']);
  assert.equal(c.trustProxy, false);
  assert.equal(c.push.mode, 'sink');
  assert.equal(c.kmsKeyId, undefined);
});

test('bad values name the variable', () => {
  rejects({ ...valid, IDLE_TIMEOUT_SECONDS: '901' }, 'IDLE_TIMEOUT_SECONDS');
  rejects({ ...valid, IDLE_TIMEOUT_SECONDS: 'abc' }, 'IDLE_TIMEOUT_SECONDS');
  rejects({ ...valid, DIRECTORY_MODE: 'open' }, 'DIRECTORY_MODE');
  rejects({ ...valid, PORT: '70000' }, 'PORT');
  rejects({ ...valid, TRUST_PROXY: 'everyone' }, 'TRUST_PROXY');
  rejects({ ...valid, AUTH_ISSUER: 'http://issuer.example.com' }, 'AUTH_ISSUER');
  rejects({ ...valid, AUTH_AUDIENCE: '' }, 'AUTH_AUDIENCE');
  rejects({ ...valid, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL');
  rejects({ ...valid, DATABASE_URL: 'postgres://u:p@db.example.com/hmk?sslmode=disable' }, 'DATABASE_URL');
  rejects({ ...valid, LOCAL_MASTER_KEY: 'c2hvcnQ=' }, 'LOCAL_MASTER_KEY');
  rejects({ ...valid, MAX_MESSAGE_BYTES: '0' }, 'MAX_MESSAGE_BYTES');
  rejects({ ...valid, RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_ADDRESS_PER_MINUTE');
  rejects({ ...valid, AUDIT_REFUSAL_WINDOW_SECONDS: '3601' }, 'AUDIT_REFUSAL_WINDOW_SECONDS');
  rejects({ ...valid, REQUEST_TIMEOUT_SECONDS: '0' }, 'REQUEST_TIMEOUT_SECONDS');
  rejects({ ...valid, REQUEST_TIMEOUT_SECONDS: '5', HEADERS_TIMEOUT_SECONDS: '6' }, 'HEADERS_TIMEOUT_SECONDS');
  const { DATABASE_URL: _, ...noDb } = valid;
  rejects(noDb, 'DB_HOST');
});

test('production refuses to start without KMS, TLS to the database and SNS', () => {
  const prod = {
    ...valid,
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
    AUTH_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
    DB_SSL: 'verify-full',
    DB_SSL_CA_FILE: process.execPath, // any existing file stands in for the CA bundle
    SNS_FCM_PLATFORM_APPLICATION_ARN: 'arn:aws:sns:eu-west-1:111111111111:app/GCM/x',
    DB_IAM_AUTH: 'true',
    AWS_REGION: 'eu-west-1',
    ...PROD_STORES,
  };
  rejects(prod, 'KMS_KEY_ID');
  const withKms = { ...prod, KMS_KEY_ID: 'alias/hmk' };
  assert.equal(loadConfig(withKms).production, true);
  rejects({ ...withKms, DB_SSL: 'disable' }, 'DB_SSL');
  rejects({ ...withKms, PUSH_MODE: 'sink' }, 'PUSH_MODE');
  // A deployment without push credentials runs with push explicitly off, and needs no platform ARN.
  const { SNS_FCM_PLATFORM_APPLICATION_ARN: _arn, ...noPush } = withKms;
  assert.equal(loadConfig({ ...noPush, PUSH_MODE: 'disabled' }).push.mode, 'disabled');
  rejects(noPush, 'SNS_APNS_PLATFORM_APPLICATION_ARN');
  rejects({ ...withKms, LOG_LEVEL: 'debug' }, 'LOG_LEVEL');
  rejects({ ...withKms, AUTH_JWKS_URI: 'http://127.0.0.1/jwks' }, 'AUTH_JWKS_URI');
});

test('the serving login: IAM auth in production, a password locally, never unauthenticated in production', () => {
  const prod = {
    ...valid,
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
    AUTH_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
    DB_SSL: 'verify-full',
    DB_SSL_CA_FILE: process.execPath,
    KMS_KEY_ID: 'alias/hmk',
    PUSH_MODE: 'disabled',
    ...PROD_STORES,
  };
  rejects(prod, 'DB_IAM_AUTH');
  const iam = loadConfig({ ...prod, DB_IAM_AUTH: 'true', AWS_REGION: 'eu-west-1' }).db.service;
  assert.deepEqual(iam, { user: 'hmk_service', password: undefined, iamAuth: true, region: 'eu-west-1' });
  assert.equal(loadConfig({ ...prod, DB_SERVICE_PASSWORD: 'pw' }).db.service.iamAuth, false);
  rejects({ ...prod, DB_IAM_AUTH: 'true' }, 'AWS_REGION');
  rejects({ ...prod, DB_IAM_AUTH: 'true', AWS_REGION: 'eu-west-1', DB_SERVICE_PASSWORD: 'pw' }, 'DB_SERVICE_PASSWORD');
  rejects({ ...valid, DB_IAM_AUTH: 'true', AWS_REGION: 'eu-west-1' }, 'DB_SSL');
  rejects({ ...valid, DB_SERVICE_USER: 'x; DROP ROLE y' }, 'DB_SERVICE_USER');
  // The owner login (DATABASE_URL user u) is never the serving login.
  const local = loadConfig({ ...valid, DB_SERVICE_PASSWORD: 'pw' }).db;
  assert.deepEqual(local.service, { user: 'hmk_service', password: 'pw', iamAuth: false, region: undefined });
});

test('main prints one line naming the variable and exits non-zero without a stack trace', () => {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, ...valid, NODE_ENV: 'production' },
    encoding: 'utf8',
  });
  assert.notEqual(out.status, 0);
  const lines = out.stderr.trim().split('\n');
  assert.equal(lines.length, 1, out.stderr);
  assert.match(lines[0], /KMS_KEY_ID/);
  assert.doesNotMatch(out.stderr, /\n\s+at /);
});

test("the serving pool uses the owner's host/port/database with its own user and credential, never the owner's", async () => {
  const local = loadConfig({
    ...valid,
    DATABASE_URL: 'postgres://owner:ownerpw@db.local:5433/hmk',
    DB_SERVICE_PASSWORD: 'svc',
  }).db;
  const o = serviceOptions(local);
  assert.equal(
    o.connectionString,
    undefined,
    'the owner URL must not reach the serving pool (pg would let it override user/password)',
  );
  assert.deepEqual([o.host, o.port, o.database, o.user, o.password], ['db.local', 5433, 'hmk', 'hmk_service', 'svc']);
  const iam = loadConfig({
    ...valid,
    DB_HOST: 'db.example.com',
    DB_PORT: '5532',
    DB_NAME: 'messaging',
    DB_USERNAME: 'postgres',
    DB_PASSWORD: 'master',
    DATABASE_URL: '',
    DB_SSL: 'verify-full',
    DB_SSL_CA_FILE: process.execPath,
    DB_IAM_AUTH: 'true',
    AWS_REGION: 'eu-west-1',
  }).db;
  const p = serviceOptions(iam);
  assert.deepEqual([p.host, p.port, p.database, p.user], ['db.example.com', 5532, 'messaging', 'hmk_service']);
  assert.equal(typeof p.password, 'function', 'IAM auth: a token is signed per new connection');
  // Signed locally (no network) with stand-in credentials from the environment.
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEEXAMPLE00';
  process.env.AWS_SECRET_ACCESS_KEY = 'example-secret';
  try {
    const token = await (p.password as () => Promise<string>)();
    assert.match(token, /^db\.example\.com:5532\/\?Action=connect&DBUser=hmk_service&/);
    assert.match(token, /X-Amz-Credential=AKIAEXAMPLEEXAMPLE00%2F\d{8}%2Feu-west-1%2Frds-db%2Faws4_request/);
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
});

test('part 2 settings: local defaults, production stores required, bad values named', () => {
  const c = loadConfig(valid);
  assert.deepEqual([c.notify.mode, c.keyStore.mode, c.attachments.mode], ['sink', 'postgres', 'local']);
  assert.equal(c.breakGlassMinutes, 60);
  assert.equal(c.retention.defaultDays, 0);
  assert.equal(c.attachments.urlTtlSeconds, 300);
  assert.equal(c.membersCliniciansOnly, false);
  const prod = {
    ...valid,
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
    AUTH_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
    DB_SSL: 'verify-full',
    DB_SSL_CA_FILE: process.execPath,
    KMS_KEY_ID: 'alias/hmk',
    PUSH_MODE: 'disabled',
    DB_IAM_AUTH: 'true',
    AWS_REGION: 'eu-west-1',
    ...PROD_STORES,
  };
  const p = loadConfig(prod);
  assert.deepEqual([p.notify.mode, p.keyStore.mode, p.attachments.mode], ['sns', 'dynamodb', 's3']);
  for (const missing of Object.keys(PROD_STORES)) {
    const { [missing]: _gone, ...rest } = prod as Record<string, string>;
    rejects(rest, missing);
  }
  rejects({ ...prod, KEY_STORE: 'postgres' }, 'KEY_STORE');
  rejects({ ...prod, ATTACHMENTS_MODE: 'local' }, 'ATTACHMENTS_MODE');
  rejects({ ...prod, NOTIFY_MODE: 'sink' }, 'NOTIFY_MODE');
  rejects({ ...prod, ATTACHMENTS_KMS_KEY_ID: 'alias/phi' }, 'ATTACHMENTS_KMS_KEY_ID');
  rejects({ ...valid, ATTACHMENT_URL_TTL_SECONDS: '301' }, 'ATTACHMENT_URL_TTL_SECONDS');
  rejects({ ...valid, ATTACHMENT_TYPES: 'image/png,not a type' }, 'ATTACHMENT_TYPES');
  rejects({ ...valid, BREAK_GLASS_MINUTES: '0' }, 'BREAK_GLASS_MINUTES');
  rejects({ ...valid, RETENTION_DAYS: '-1' }, 'RETENTION_DAYS');
  rejects({ ...valid, MEMBERS_CLINICIANS_ONLY: 'maybe' }, 'MEMBERS_CLINICIANS_ONLY');
  rejects({ ...valid, KEY_STORE: 'dynamodb' }, 'KEY_STORE_TABLE');
});
