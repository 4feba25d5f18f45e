// The serving pools log in as hmk_service, never as the table owner: dropping the role on a serving
// connection (SET ROLE NONE / RESET ROLE, e.g. through an injection) leaves a login that can read
// nothing, and the service refuses to start with a serving login that could bypass RLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startService } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { PUSH_ROLE, createRolePool } from '../src/db/pool.js';
import { baseEnv, createHarness, type Harness } from './helpers.js';

let h: Harness;

before(async () => {
  h = await createHarness();
  const [alice, bob] = [await h.user('alice'), await h.user('bob')];
  const conv = (
    await h.request('POST', '/v1/conversations', { token: alice.token, body: { participantIds: [bob.id] } })
  ).json.id;
  assert.equal(
    (await h.request('POST', `/v1/conversations/${conv}/messages`, { token: alice.token, body: { body: 'hi' } }))
      .status,
    201,
  );
});
after(() => h.close());

test('the service pool logs in as hmk_service and runs as hmk_app', async () => {
  const { rows } = await h.service.pool.query('SELECT session_user AS login, current_user AS who');
  assert.deepEqual(rows[0], { login: 'hmk_service', who: 'hmk_app' });
});

test('the serving login is not a superuser, cannot bypass RLS and owns nothing', async () => {
  const owner = await h.owner();
  const { rows } = await owner.query(`SELECT rolsuper, rolbypassrls, rolinherit, rolcanlogin, rolcreaterole, rolcreatedb
    FROM pg_roles WHERE rolname = 'hmk_service'`);
  assert.deepEqual(rows[0], {
    rolsuper: false,
    rolbypassrls: false,
    rolinherit: false,
    rolcanlogin: true,
    rolcreaterole: false,
    rolcreatedb: false,
  });
  const owned =
    await owner.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'hmk' AND pg_get_userbyid(c.relowner) = 'hmk_service'`);
  assert.equal(owned.rows[0].n, 0);
  const memberOf =
    await owner.query(`SELECT array_agg(b.rolname::text ORDER BY b.rolname) AS roles FROM pg_auth_members m
    JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = 'hmk_service'::regrole`);
  assert.deepEqual(memberOf.rows[0].roles, ['hmk_app', 'hmk_keys', 'hmk_push', 'hmk_retention']);
});

test('after SET ROLE NONE on a service pool client, messages and the audit log are unreadable', async () => {
  const client = await h.service.pool.connect();
  try {
    await client.query('SET ROLE NONE');
    const { rows } = await client.query('SELECT session_user AS login, current_user AS who');
    assert.deepEqual(rows[0], { login: 'hmk_service', who: 'hmk_service' });
    for (const t of ['messages', 'message_bodies', 'audit_log', 'contacts', 'push_outbox', 'devices']) {
      await assert.rejects(client.query(`SELECT count(*) FROM hmk.${t}`), /permission denied/, t);
    }
    await assert.rejects(client.query('INSERT INTO hmk.audit_log (chain) VALUES (0)'), /permission denied/);
  } finally {
    client.release(true); // discard: never hand a role-less connection back to the pool
  }
});

test('RESET ROLE on a service pool client returns to hmk_app (the connection default), not the owner', async () => {
  const client = await h.service.pool.connect();
  try {
    await client.query('SET ROLE hmk_push');
    await client.query('RESET ROLE');
    assert.deepEqual((await client.query('SELECT session_user AS login, current_user AS who')).rows[0], {
      login: 'hmk_service',
      who: 'hmk_app',
    });
    // The owner would see every row; hmk_app without the auditor role sees none (migration 005).
    assert.equal((await client.query('SELECT count(*)::int AS n FROM hmk.audit_log')).rows[0].n, 0);
    assert.ok((await h.owner().then((o) => o.query('SELECT count(*)::int AS n FROM hmk.audit_log'))).rows[0].n > 0);
  } finally {
    client.release(true);
  }
});

test('the push pool logs in as hmk_service too, and SET ROLE NONE leaves it nothing', async () => {
  const pool = createRolePool(h.config.db, PUSH_ROLE, 1);
  try {
    const client = await pool.connect();
    try {
      assert.deepEqual((await client.query('SELECT session_user AS login, current_user AS who')).rows[0], {
        login: 'hmk_service',
        who: 'hmk_push',
      });
      await client.query('SET ROLE NONE');
      await assert.rejects(client.query('SELECT count(*) FROM hmk.push_outbox'), /permission denied/);
    } finally {
      client.release(true);
    }
  } finally {
    await pool.end();
  }
});

test('the startup guard refuses a superuser serving login', async () => {
  // The embedded server's superuser is postgres (password local-only). MIGRATE_ON_START=false, so the
  // owner step does not touch that role's password.
  const config = loadConfig({
    ...baseEnv(h.dbUrl, h.issuer),
    DB_SERVICE_USER: 'postgres',
    DB_SERVICE_PASSWORD: 'local-only',
    MIGRATE_ON_START: 'false',
  });
  await assert.rejects(
    startService(config),
    (err: unknown) => err instanceof ConfigError && err.variable === 'DB_SERVICE_USER' && /superuser/.test(err.message),
  );
});

test('the startup guard refuses a serving login that owns an hmk table, or is a member of the owner', async () => {
  const owner = await h.owner();
  const tableOwner = `t_owner_${randomUUID().slice(0, 8)}`;
  const ownerMember = `t_member_${randomUUID().slice(0, 8)}`;
  await owner.query(`CREATE ROLE ${tableOwner} LOGIN NOINHERIT PASSWORD 'pw'`);
  await owner.query(`CREATE TABLE hmk.t_${tableOwner} (id int)`);
  await owner.query(`ALTER TABLE hmk.t_${tableOwner} OWNER TO ${tableOwner}`);
  await owner.query(`GRANT USAGE ON SCHEMA hmk TO ${tableOwner}`);
  const schemaOwner = (
    await owner.query(`SELECT pg_get_userbyid(nspowner) AS o FROM pg_namespace WHERE nspname = 'hmk'`)
  ).rows[0].o;
  await owner.query(`CREATE ROLE ${ownerMember} LOGIN NOINHERIT PASSWORD 'pw'`);
  await owner.query(`GRANT ${schemaOwner} TO ${ownerMember}`);
  // Members of the serving roles, so the pools can start (they begin each connection as hmk_app/hmk_push).
  await owner.query(`GRANT hmk_app, hmk_push TO ${tableOwner}, ${ownerMember}`);
  try {
    for (const login of [tableOwner, ownerMember]) {
      const config = loadConfig({
        ...baseEnv(h.dbUrl, h.issuer),
        DB_SERVICE_USER: login,
        DB_SERVICE_PASSWORD: 'pw',
        MIGRATE_ON_START: 'false',
      });
      await assert.rejects(
        startService(config),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.variable === 'DB_SERVICE_USER' &&
          /bypass row-level security/.test(err.message),
        login,
      );
    }
  } finally {
    await owner.query(`DROP TABLE hmk.t_${tableOwner}`);
    await owner.query(`REVOKE USAGE ON SCHEMA hmk FROM ${tableOwner}`);
    await owner.query(`DROP ROLE ${tableOwner}`);
    await owner.query(`DROP ROLE ${ownerMember}`);
  }
});

test('main refuses an owner serving login with one line naming DB_SERVICE_USER, no stack trace', () => {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      ...baseEnv(h.dbUrl, h.issuer),
      DB_SERVICE_USER: 'postgres',
      DB_SERVICE_PASSWORD: 'local-only',
      MIGRATE_ON_START: 'false',
      PORT: '0',
    },
    encoding: 'utf8',
  });
  assert.equal(out.status, 2, out.stderr);
  const lines = out.stderr.trim().split('\n');
  assert.equal(lines.length, 1, out.stderr);
  assert.match(lines[0], /^configuration error: DB_SERVICE_USER: .*postgres.*superuser/);
  assert.doesNotMatch(out.stderr, /\n\s+at /);
});
