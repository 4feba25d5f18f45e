// Connection pools. The serving pool starts every connection as hmk_app (a role that owns no table
// and cannot bypass RLS); the owner pool is used only for migrations and audit verification.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { DbConfig } from '../config.js';

export const APP_ROLE = 'hmk_app';
export const PUSH_ROLE = 'hmk_push';

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

/** A pool whose sessions run as `role` (hmk_app or hmk_push) from their first statement. */
export function createRolePool(db: DbConfig, role: typeof APP_ROLE | typeof PUSH_ROLE, max = db.poolMax): pg.Pool {
  const pool = new pg.Pool({
    ...baseOptions(db),
    max,
    options: `-c role=${role} -c statement_timeout=10000 -c idle_in_transaction_session_timeout=30000`,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  return pool;
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
