// Audit rows (pillar P03). Written through hmk.audit(), which the database chains and keeps append-only.
import type pg from 'pg';
import { withTransaction, type Queryable } from '../db/pool.js';

export type Outcome = 'ok' | 'denied' | 'invalid' | 'error';

export interface AuditEntry {
  action: string;
  targets: string[];
  ip: string | undefined;
  userAgent: string | undefined;
  outcome: Outcome;
  status: number;
  requestId: string;
  /** 'high' for break-glass, reveals, shredding and holds. */
  severity?: 'high';
  /** Ids and counts that explain the event; never names, message text or other PHI. */
  detail?: Record<string, unknown>;
}

export async function writeAudit(db: Queryable, e: AuditEntry): Promise<void> {
  if (e.severity !== undefined || e.detail !== undefined) {
    await db.query('SELECT hmk.audit_event($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      e.action,
      e.targets,
      e.ip ?? null,
      e.userAgent ?? null,
      e.outcome,
      e.status,
      e.requestId,
      e.severity ?? null,
      e.detail === undefined ? null : JSON.stringify(e.detail),
    ]);
    return;
  }
  await db.query('SELECT hmk.audit($1, $2, $3, $4, $5, $6, $7)', [
    e.action,
    e.targets,
    e.ip ?? null,
    e.userAgent ?? null,
    e.outcome,
    e.status,
    e.requestId,
  ]);
}

/** One audit row in its own transaction, naming `userId` as the actor (none: an unauthenticated request). */
export async function writeAuditAs(pool: pg.Pool, e: AuditEntry, userId: string | undefined): Promise<void> {
  if (!userId) return writeAudit(pool, e);
  await withTransaction(pool, async (c) => {
    await c.query("SELECT set_config('hmk.user_id', $1, true)", [userId]);
    await writeAudit(c, e);
  });
}

export function outcomeFor(status: number): Outcome {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403 || status === 404) return 'denied';
  if (status < 500) return 'invalid';
  return 'error';
}
