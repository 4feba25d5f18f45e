// Auditor reads of the audit trail (P09): the filters, the keyset cursor and the de-identified row shape
// shared by the listing, the access report and the exports. Rows carry ids, actions, outcomes and times;
// the source IP and user agent only when asked for (include=network), names and message text never (the
// audit table holds neither).
import type { Queryable } from '../db/pool.js';
import { HttpError } from '../errors.js';

export interface AuditFilters {
  actor?: string;
  /** Exact, or a prefix with a trailing `*` (e.g. `message.*`). */
  action?: string;
  target?: string;
  from?: string;
  to?: string;
  outcome?: string;
  severity?: string;
}

/** One audit row as auditors see it. */
export interface AuditView {
  id: string;
  at: string;
  chain: number;
  seq: string;
  actorId: string | null;
  action: string;
  targetIds: string[];
  outcome: string;
  status: number;
  severity: string | null;
  detail: Record<string, unknown> | null;
  requestId: string | null;
  sourceIp?: string | null;
  userAgent?: string | null;
}

export const VIEW_FIELDS = [
  'id',
  'at',
  'chain',
  'seq',
  'actorId',
  'action',
  'targetIds',
  'outcome',
  'status',
  'severity',
  'detail',
  'requestId',
] as const;
export const NETWORK_FIELDS = ['sourceIp', 'userAgent'] as const;

// Times as UTC with microseconds: exact, so `at` can also serve as the cursor position.
const iso = (col: string) => `to_char((${col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const COLUMNS = `a.id::text AS id, ${iso('a.at')} AS at, a.chain,
  a.seq::text AS seq, a.actor_id AS "actorId", a.action, a.target_ids AS "targetIds", a.outcome, a.status, a.severity,
  a.detail, a.request_id AS "requestId"`;
const NETWORK_COLUMNS = `, host(a.source_ip) AS "sourceIp", a.user_agent AS "userAgent"`;

/** Position after a row: (at, id), the listing's sort key. Opaque to clients (base64url). */
export interface Cursor {
  at: string;
  id: string;
}

const CURSOR = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|(\d{1,18})$/;

export const encodeCursor = (row: Pick<AuditView, 'at' | 'id'>): string =>
  Buffer.from(`${row.at}|${row.id}`, 'utf8').toString('base64url');

export function decodeCursor(raw: string): Cursor {
  const m = CURSOR.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  // A real instant, not just the shape of one (2025-13-45 would reach Postgres).
  const real =
    m !== null && Number.isFinite(Date.parse(m[1])) && new Date(m[1]).toISOString().slice(0, 19) === m[1].slice(0, 19);
  if (!m || !real)
    throw new HttpError(
      400,
      'querystring.cursor is not a cursor from this API; pass nextCursor from the previous reply unchanged',
    );
  return { at: m[1], id: m[2] };
}

/**
 * The service now writes uuids in lower case, but rows written before that kept them as the client sent them
 * (iOS sends upper case), so a uuid is looked for in both.
 */
export function targetVariants(target: string): string[] {
  return [...new Set([target, target.toLowerCase(), target.toUpperCase()])];
}

/** A page of rows matching `f`, oldest first, after `after`. */
export async function listAudit(
  db: Queryable,
  f: AuditFilters,
  opts: { after?: Cursor; limit: number; network: boolean },
): Promise<AuditView[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const p = (v: unknown) => `$${values.push(v)}`;
  if (f.actor) where.push(`a.actor_id = ${p(f.actor)}`);
  if (f.action?.endsWith('*')) where.push(`starts_with(a.action, ${p(f.action.slice(0, -1))})`);
  else if (f.action) where.push(`a.action = ${p(f.action)}`);
  if (f.target) where.push(`a.target_ids && ${p(targetVariants(f.target))}::text[]`);
  if (f.from) where.push(`a.at >= ${p(f.from)}::timestamptz`);
  if (f.to) where.push(`a.at < ${p(f.to)}::timestamptz`);
  if (f.outcome) where.push(`a.outcome = ${p(f.outcome)}`);
  if (f.severity) where.push(`a.severity = ${p(f.severity)}`);
  if (opts.after) where.push(`(a.at, a.id) > (${p(opts.after.at)}::timestamptz, ${p(opts.after.id)}::bigint)`);
  const sql = `SELECT ${COLUMNS}${opts.network ? NETWORK_COLUMNS : ''} FROM hmk.audit_log a
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.at, a.id LIMIT ${p(opts.limit)}`;
  return (await db.query<AuditView>(sql, values)).rows;
}

export interface AccessReport {
  conversationId: string;
  totalEvents: number;
  truncated: boolean;
  actors: {
    actorId: string | null;
    firstAt: string;
    lastAt: string;
    events: number;
    counts: { action: string; outcome: string; count: number }[];
  }[];
  events: AuditView[];
}

/**
 * Who touched a conversation, when and how: every row naming it, grouped per actor, plus the first `cap` rows.
 * One statement, so the summary and the events come from the same snapshot.
 */
export async function accessReport(db: Queryable, conversationId: string, cap: number): Promise<AccessReport> {
  const {
    rows: [r],
  } = await db.query<{ groups: AccessGroup[]; events: AuditView[]; total: number }>(
    `WITH hits AS MATERIALIZED (SELECT ${COLUMNS}, a.at AS ts FROM hmk.audit_log a WHERE a.target_ids && $1::text[])
     SELECT (SELECT count(*)::int FROM hits) AS total,
            (SELECT coalesce(json_agg(g ORDER BY g."firstTs", g."actorId", g.action, g.outcome), '[]')
               FROM (SELECT "actorId", action, outcome, count(*)::int AS count, min(ts) AS "firstTs",
                            ${iso('min(ts)')} AS "firstAt", ${iso('max(ts)')} AS "lastAt"
                       FROM hits GROUP BY "actorId", action, outcome) g) AS groups,
            (SELECT coalesce(json_agg(e ORDER BY e.ts, e.id::bigint), '[]')
               FROM (SELECT * FROM hits ORDER BY ts, id::bigint LIMIT $2) e) AS events`,
    [targetVariants(conversationId), cap],
  );
  const actors = new Map<string | null, AccessReport['actors'][number]>();
  for (const g of r.groups) {
    let a = actors.get(g.actorId);
    if (!a)
      actors.set(g.actorId, (a = { actorId: g.actorId, firstAt: g.firstAt, lastAt: g.lastAt, events: 0, counts: [] }));
    // The ISO strings share one format, so they compare in time order.
    if (g.firstAt < a.firstAt) a.firstAt = g.firstAt;
    if (g.lastAt > a.lastAt) a.lastAt = g.lastAt;
    a.events += g.count;
    a.counts.push({ action: g.action, outcome: g.outcome, count: g.count });
  }
  return {
    conversationId,
    totalEvents: r.total,
    truncated: r.total > r.events.length,
    actors: [...actors.values()],
    events: r.events.map((e) => pick(e, VIEW_FIELDS)),
  };
}

interface AccessGroup {
  actorId: string | null;
  action: string;
  outcome: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

/** Only the named fields, so nothing else can leave by accident (e.g. in an export, which has no schema). */
export function pick(row: AuditView, fields: readonly (keyof AuditView)[]): AuditView {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = row[f] ?? null;
  return out as unknown as AuditView;
}
