import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, loadMigrations } from '../src/db/migrate.js';
import { freshDatabase, ownerClient } from './helpers.js';
import type pg from 'pg';

const clients: pg.Client[] = [];
after(() => Promise.all(clients.map((c) => c.end())));
const connect = async (url: string) => {
  const c = await ownerClient(url);
  clients.push(c);
  return c;
};

test('two migrators starting at once apply each migration exactly once', async () => {
  const url = await freshDatabase();
  const [a, b, c] = await Promise.all([connect(url), connect(url), connect(url)]);
  const results = await Promise.all([migrate(a), migrate(b), migrate(c)]);
  const all = results.flat();
  assert.deepEqual(
    all.sort(),
    loadMigrations()
      .map((m) => m.version)
      .sort(),
    'each migration applied once in total',
  );
  const { rows } = await a.query('SELECT count(*)::int AS n FROM public.hmk_schema_migrations');
  assert.equal(rows[0].n, loadMigrations().length);
  assert.deepEqual(await migrate(a), [], 'a later start finds nothing to do');
});

test('a changed migration is refused', async () => {
  const url = await freshDatabase();
  const c = await connect(url);
  await migrate(c);
  const changed = loadMigrations().map((m) => ({ ...m, checksum: 'different' }));
  await assert.rejects(migrate(c, changed), /was changed after it was applied/);
});

test('the serving role owns nothing and cannot bypass RLS', async () => {
  const url = await freshDatabase();
  const c = await connect(url);
  await migrate(c);
  const { rows } = await c.query(`SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'hmk_app'`);
  assert.deepEqual(rows[0], { rolsuper: false, rolbypassrls: false, rolcanlogin: false });
  const owned = await c.query(
    `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'hmk' AND tableowner = 'hmk_app'`,
  );
  assert.equal(owned.rows[0].n, 0);
  const noRls = await c.query(
    `SELECT relname FROM pg_class WHERE relnamespace = 'hmk'::regnamespace AND relkind = 'r' AND NOT relrowsecurity`,
  );
  assert.deepEqual(noRls.rows, [], 'every table has RLS enabled');
});

test('every function is written once: no CREATE OR REPLACE, no DROP FUNCTION, no name created in two migrations', () => {
  const problems: string[] = [];
  const firstFile = new Map<string, string>();
  for (const m of loadMigrations()) {
    const sql = m.sql.replace(/--[^\n]*/g, '');
    for (const [, orReplace, name] of sql.matchAll(/CREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(/gi)) {
      if (orReplace) problems.push(`${m.version}: CREATE OR REPLACE FUNCTION ${name}`);
      const seen = firstFile.get(name.toLowerCase());
      if (seen && seen !== m.version) problems.push(`${m.version}: ${name} is already created in ${seen}`);
      firstFile.set(name.toLowerCase(), seen ?? m.version);
    }
    for (const [, name] of sql.matchAll(/DROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?([\w.]+)/gi)) {
      problems.push(`${m.version}: DROP FUNCTION ${name}`);
    }
  }
  assert.ok(firstFile.size >= 30, `found ${firstFile.size} functions`);
  assert.deepEqual(problems, []);
});
