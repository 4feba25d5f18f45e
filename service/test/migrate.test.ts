import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, loadMigrations } from '../src/db/migrate.js';
import { freshDatabase, ownerClient } from './helpers.js';
import type pg from 'pg';

const clients: pg.Client[] = [];
after(() => Promise.all(clients.map((c) => c.end())));
const connect = async (url: string) => { const c = await ownerClient(url); clients.push(c); return c; };

test('two migrators starting at once apply each migration exactly once', async () => {
  const url = await freshDatabase();
  const [a, b, c] = await Promise.all([connect(url), connect(url), connect(url)]);
  const results = await Promise.all([migrate(a), migrate(b), migrate(c)]);
  const all = results.flat();
  assert.deepEqual(all.sort(), loadMigrations().map((m) => m.version).sort(), 'each migration applied once in total');
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
  const owned = await c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'hmk' AND tableowner = 'hmk_app'`);
  assert.equal(owned.rows[0].n, 0);
  const noRls = await c.query(`SELECT relname FROM pg_class WHERE relnamespace = 'hmk'::regnamespace AND relkind = 'r' AND NOT relrowsecurity`);
  assert.deepEqual(noRls.rows, [], 'every table has RLS enabled');
});
