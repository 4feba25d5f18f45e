import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig } from '../src/config.js';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  AUTH_ISSUER: 'http://127.0.0.1:9999',
  AUTH_JWKS_URI: 'http://127.0.0.1:9999/.well-known/jwks.json',
  AUTH_AUDIENCE: 'client-a,client-b',
};

function rejects(env: Record<string, string>, variable: string) {
  assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.variable === variable,
    `expected ConfigError for ${variable}`);
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
  const { DATABASE_URL: _, ...noDb } = valid;
  rejects(noDb, 'DB_HOST');
});

test('production refuses to start without KMS, TLS to the database and SNS', () => {
  const prod = {
    ...valid, NODE_ENV: 'production', AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
    AUTH_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
    DB_SSL: 'verify-full', DB_SSL_CA_FILE: process.execPath, // any existing file stands in for the CA bundle
    SNS_FCM_PLATFORM_APPLICATION_ARN: 'arn:aws:sns:eu-west-1:111111111111:app/GCM/x',
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
