// Connection pools. The serving pools log in as the service login (DB_SERVICE_USER, default
// hmk_service: a NOINHERIT member of hmk_app and hmk_push that owns nothing and holds no privilege of
// its own) and start every connection as hmk_app or hmk_push. A `SET ROLE NONE` / `RESET ROLE` on a
// serving connection therefore drops to a role that can read nothing. The owner login (DB_USERNAME/
// DB_PASSWORD or the DATABASE_URL user) is used only for migrations and audit verification.
import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { ConfigError, type DbConfig } from '../config.js';

export const APP_ROLE = 'hmk_app';
export const PUSH_ROLE = 'hmk_push';
/** The retention job: may only call the retention functions (migrations/007). */
export const RETENTION_ROLE = 'hmk_retention';
/** The local key store (KEY_STORE=postgres): the only role that reaches hmk.conversation_keys. */
export const KEYS_ROLE = 'hmk_keys';

export type Queryable = Pick<pg.PoolClient, 'query'>;

function baseOptions(db: DbConfig): pg.PoolConfig {
  return {
    connectionString: db.connectionString,
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user,
    password: db.password,
    ssl: db.sslCaFile ? { ca: readFileSync(db.sslCaFile, 'utf8'), rejectUnauthorized: true } : undefined,
    application_name: 'hipaa-messaging-service',
  };
}

/** Host, port and database of the owner connection (discrete parts, or parsed from DATABASE_URL). */
export function serverAddress(db: DbConfig): { host: string; port: number; database: string } {
  if (db.connectionString) {
    const url = new URL(db.connectionString);
    return {
      host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')) || 'localhost',
      port: url.port ? Number(url.port) : 5432,
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    };
  }
  return { host: db.host ?? 'localhost', port: db.port ?? 5432, database: db.database ?? 'postgres' };
}

/**
 * Connection options for the serving login: the owner's host/port/database and TLS settings, with
 * the user and credential replaced. Production uses RDS IAM authentication (a fresh 15-minute token
 * per new connection); DB_SERVICE_PASSWORD is for local use.
 */
export function serviceOptions(db: DbConfig): pg.PoolConfig {
  const { connectionString: _owner, user: _u, password: _p, ...rest } = baseOptions(db);
  const address = serverAddress(db);
  let password: pg.PoolConfig['password'] = db.service.password;
  if (db.service.iamAuth) {
    const signer = new Signer({
      hostname: address.host,
      port: address.port,
      username: db.service.user,
      region: db.service.region,
    });
    password = () => signer.getAuthToken();
  }
  return { ...rest, ...address, user: db.service.user, password };
}

/** A pool that logs in as the service login and runs as `role` (hmk_app or hmk_push). */
export function createRolePool(
  db: DbConfig,
  role: typeof APP_ROLE | typeof PUSH_ROLE | typeof RETENTION_ROLE | typeof KEYS_ROLE,
  max = db.poolMax,
): pg.Pool {
  const pool = new pg.Pool({
    ...serviceOptions(db),
    max,
    options: `-c role=${role} -c statement_timeout=10000 -c idle_in_transaction_session_timeout=30000`,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** One dedicated connection as `role`, outside every pool (the event stream's LISTEN connection). */
export function createRoleClient(db: DbConfig, role: typeof APP_ROLE): pg.Client {
  return new pg.Client({ ...serviceOptions(db), options: `-c role=${role}` } as pg.ClientConfig);
}

/**
 * Startup guard: refuses to serve if the serving login could escape RLS, i.e. it is a superuser, has
 * BYPASSRLS, owns (or is a member of the owner of) the hmk schema or any hmk table, or is a member
 * of any superuser/BYPASSRLS role. Throws ConfigError naming DB_SERVICE_USER.
 */
export async function assertServingLoginIsSafe(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{
    login: string;
    super: boolean;
    bypass: boolean;
    owns: boolean;
    privileged: boolean;
  }>(`
    SELECT session_user AS login, r.rolsuper AS super, r.rolbypassrls AS bypass,
      EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = 'hmk' AND pg_has_role(r.oid, n.nspowner, 'MEMBER'))
        OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'hmk' AND pg_has_role(r.oid, c.relowner, 'MEMBER')) AS owns,
      EXISTS (SELECT 1 FROM pg_roles x WHERE (x.rolsuper OR x.rolbypassrls) AND x.oid <> r.oid
              AND pg_has_role(r.oid, x.oid, 'MEMBER')) AS privileged
    FROM pg_roles r WHERE r.rolname = session_user`);
  const row = rows[0];
  const problem = !row
    ? 'is not a known role'
    : row.super
      ? 'is a superuser'
      : row.bypass
        ? 'has BYPASSRLS'
        : row.owns
          ? 'owns (or is a member of the owner of) the hmk schema or its tables'
          : row.privileged
            ? 'is a member of a superuser or BYPASSRLS role'
            : undefined;
  if (problem) {
    throw new ConfigError(
      'DB_SERVICE_USER',
      `the serving login "${row?.login ?? '?'}" ${problem}, so it could bypass row-level security; ` +
        'set DB_SERVICE_USER to the non-owner service login created by the migrations (hmk_service), never the master/owner user',
    );
  }
}

/**
 * Local/dev/test only: sets the serving login's password (DB_SERVICE_PASSWORD) as the owner, after
 * migrations. Production leaves it unset and uses IAM authentication. ALTER ROLE takes no bind
 * parameters, so the name and password are quoted with pg's escapeIdentifier/escapeLiteral.
 */
export async function setServiceLoginPassword(owner: pg.Client, db: DbConfig): Promise<boolean> {
  if (!db.service.password || db.service.iamAuth) return false;
  const sql = `ALTER ROLE ${pg.escapeIdentifier(db.service.user)} PASSWORD ${pg.escapeLiteral(db.service.password)}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await owner.query(sql);
      return true;
    } catch (err) {
      // Several services sharing one cluster may set it at once (roles are cluster-wide).
      if (attempt >= 5 || !/tuple concurrently updated/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

export function createOwnerClient(db: DbConfig): pg.Client {
  return new pg.Client(baseOptions(db));
}

/** Runs fn in a transaction on a pooled client; rolls back on error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
