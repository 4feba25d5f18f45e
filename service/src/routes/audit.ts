// Auditor views (P09; 164.312(b) audit review, 164.308(a)(1)(ii)(D) activity review): the audit trail listed,
// verified, reported per conversation and exported. Auditor role only, checked here (requireRole) and again by
// Postgres (the audit_read policies of migration 005). Every call is audited too, auditors included.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { csvLine } from '../audit/csv.js';
import {
  NETWORK_FIELDS,
  VIEW_FIELDS,
  accessReport,
  decodeCursor,
  encodeCursor,
  listAudit,
  pick,
  type AuditFilters,
  type AuditView,
} from '../audit/review.js';
import { verifyAuditChain } from '../audit/verify.js';
import type { Identity } from '../auth/verifier.js';
import { withTransaction } from '../db/pool.js';
import { HttpError } from '../errors.js';
import { safeError } from '../logger.js';
import { requireRole, type RoutePluginOptions } from './context.js';
import { errorResponses, uuid } from './schemas.js';

const REPORT_EVENT_CAP = 1000;
const EXPORT_BATCH = 1000;
const EXPORT_MAX_DAYS = 31;

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullable = (type: string) => ({ type: [type, 'null'] }) as const;

const auditEvent = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: dateTime,
    chain: { type: 'integer' },
    seq: { type: 'string' },
    actorId: nullable('string'),
    action: { type: 'string' },
    targetIds: { type: 'array', items: { type: 'string' } },
    outcome: { type: 'string' },
    status: { type: 'integer' },
    severity: nullable('string'),
    detail: { type: ['object', 'null'], additionalProperties: true },
    requestId: nullable('string'),
    sourceIp: { ...nullable('string'), description: 'only with include=network' },
    userAgent: { ...nullable('string'), description: 'only with include=network' },
  },
  required: [...VIEW_FIELDS],
} as const;

const rangeProps = {
  from: { ...dateTime, description: 'inclusive, e.g. 2025-01-01T00:00:00Z' },
  to: { ...dateTime, description: 'exclusive' },
} as const;
const include = {
  type: 'string',
  enum: ['network'],
  description: 'add source IP and user agent (recorded in the audit row)',
} as const;

interface ListQuery extends AuditFilters {
  limit: number;
  cursor?: string;
  include?: 'network';
}

/** Microseconds since the epoch (Date.parse stops at milliseconds; audit times have microseconds). */
const micros = (iso: string) =>
  Date.parse(iso) * 1000 + Number((/\.\d{3}(\d{0,3})/.exec(iso)?.[1] ?? '').padEnd(3, '0'));

// RFC 3339 as Postgres and Date.parse both take it: the JSON-schema format also admits year 0000, offsets past
// ±15:59 and leap seconds, which Postgres refuses mid-export (after the headers are sent).
const RFC3339 = /^(\d{4})-\d\d-\d\dT(\d\d):(\d\d):(\d\d)(\.\d{1,6})?(Z|[+-](\d\d):(\d\d))$/i;

function checkTime(name: 'from' | 'to', value: string | undefined): void {
  if (value === undefined) return;
  const m = RFC3339.exec(value);
  const valid =
    m !== null &&
    Number(m[1]) >= 1970 &&
    Number(m[2]) <= 23 &&
    Number(m[4]) <= 59 &&
    (m[7] === undefined || (Number(m[7]) <= 14 && Number(m[8]) <= 59)) &&
    Number.isFinite(Date.parse(value));
  if (!valid) {
    throw new HttpError(
      400,
      `querystring.${name} must be a date-time from 1970 on with Z or a ±hh:mm offset, e.g. 2026-11-01T00:00:00Z`,
    );
  }
}

/** 400 naming the field unless both times are usable and from < to (and, with maxDays, to - from <= maxDays). */
function checkRange(from: string | undefined, to: string | undefined, maxDays?: number): void {
  checkTime('from', from);
  checkTime('to', to);
  if (from === undefined || to === undefined) return;
  const span = micros(to) - micros(from);
  if (!(span > 0)) throw new HttpError(400, 'querystring.to must be later than querystring.from');
  if (maxDays !== undefined && span > maxDays * 86_400_000_000) {
    throw new HttpError(
      400,
      `querystring.to must be at most ${maxDays} days after querystring.from; export longer periods in parts`,
    );
  }
}

/** Compact UTC stamp for file names, e.g. 20250101T000000Z. */
const stamp = (iso: string) =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export async function auditRoutes(
  app: FastifyInstance,
  { deps, actions: { act, beginRequest } }: RoutePluginOptions,
): Promise<void> {
  const { pool } = deps;

  app.get<{ Querystring: ListQuery }>(
    '/v1/audit',
    {
      config: { action: 'audit.list' },
      schema: {
        summary: 'Audit trail, oldest first, de-identified (auditor); page with cursor=<nextCursor>',
        querystring: {
          type: 'object',
          properties: {
            actor: uuid,
            action: {
              type: 'string',
              minLength: 1,
              maxLength: 100,
              pattern: '^[A-Za-z0-9_.-]*\\*?$',
              description: 'exact, or a prefix ending in * (message.*)',
            },
            target: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              pattern: '^[A-Za-z0-9._:-]+$',
              description: 'an id in target_ids',
            },
            ...rangeProps,
            outcome: { type: 'string', enum: ['ok', 'denied', 'invalid', 'error'] },
            severity: { type: 'string', enum: ['high'] },
            include,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: auditEvent },
              nextCursor: { ...nullable('string'), description: 'null when there is nothing more (yet)' },
            },
            required: ['items', 'nextCursor'],
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireRole(req, 'auditor');
      const { limit, cursor, include: inc, ...filters } = req.query;
      checkRange(filters.from, filters.to);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const network = inc === 'network';
      return act(req, 200, async (c) => {
        // One row more than asked says whether there is a next page.
        const rows = await listAudit(c, filters, { after, limit: limit + 1, network });
        const items = rows.slice(0, limit);
        return {
          result: { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null },
          targets: [filters.actor, filters.target].filter((t): t is string => t !== undefined),
          detail: {
            ...filters,
            ...(cursor ? { cursor } : {}),
            rows: items.length,
            ...(network ? { include: 'network' } : {}),
          },
        };
      });
    },
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/v1/audit/verify',
    {
      config: { action: 'audit.verify' },
      schema: {
        summary: 'Verify the audit hash chains, whole or for a time range (auditor)',
        description:
          'With from/to, each chain is checked from the row before its first row in range to its last row ' +
          'in range, and that row must link to the next row or the chain head. Without them, every chain from genesis.',
        querystring: { type: 'object', properties: rangeProps, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              rows: { type: 'integer', description: 'rows checked' },
              problems: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    chain: { type: 'integer' },
                    seq: { type: 'string' },
                    id: { type: 'string' },
                    reason: { type: 'string' },
                  },
                },
              },
              heads: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { chain: { type: 'integer' }, seq: { type: 'string' }, hash: { type: 'string' } },
                },
              },
            },
            required: ['ok', 'rows', 'problems', 'heads'],
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const who = requireRole(req, 'auditor');
      const { from, to } = req.query;
      checkRange(from, to);
      // The check needs one REPEATABLE READ snapshot (live traffic would otherwise look like tampering) and so its
      // own connection; the audit row, with the idle-logoff check, follows in act(). An idle session's result is
      // computed but never returned.
      const result = await withClient(pool, (c) => verifyAuditChain(c, { from, to, setup: (db) => actAs(db, who) }));
      return act(req, 200, async () => ({
        result,
        targets: [],
        detail: {
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ok: result.ok,
          rows: result.rows,
          problems: result.problems.length,
        },
      }));
    },
  );

  app.get<{ Querystring: { conversationId: string } }>(
    '/v1/reports/access',
    {
      config: { action: 'audit.access_report' },
      schema: {
        summary: 'Who accessed a conversation, when and how: per actor, with the raw events (auditor; ids only)',
        querystring: {
          type: 'object',
          properties: { conversationId: uuid },
          required: ['conversationId'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              conversationId: uuid,
              totalEvents: { type: 'integer' },
              truncated: {
                type: 'boolean',
                description: `events holds the first ${REPORT_EVENT_CAP}; page the rest with GET /v1/audit?target=`,
              },
              actors: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    actorId: nullable('string'),
                    firstAt: dateTime,
                    lastAt: dateTime,
                    events: { type: 'integer' },
                    counts: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          action: { type: 'string' },
                          outcome: { type: 'string' },
                          count: { type: 'integer' },
                        },
                      },
                    },
                  },
                },
              },
              events: { type: 'array', items: auditEvent },
            },
            required: ['conversationId', 'totalEvents', 'truncated', 'actors', 'events'],
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireRole(req, 'auditor');
      const conversationId = req.query.conversationId.toLowerCase();
      return act(req, 200, async (c) => {
        const report = await accessReport(c, conversationId, REPORT_EVENT_CAP);
        return {
          result: report,
          targets: [conversationId],
          detail: { events: report.totalEvents, actors: report.actors.length, truncated: report.truncated },
        };
      });
    },
  );

  app.get<{ Querystring: { format: 'csv' | 'json'; from: string; to: string; include?: 'network' } }>(
    '/v1/audit/export',
    {
      config: { action: 'audit.export' },
      schema: {
        summary: `Export the audit trail for a range of at most ${EXPORT_MAX_DAYS} days as CSV or a JSON array (auditor)`,
        description:
          'Streamed, oldest first. De-identified unless include=network. CSV cells that a spreadsheet would ' +
          'run as a formula (= + - @) start with a single quote. A JSON export cut short does not parse.',
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['csv', 'json'] }, ...rangeProps, include },
          required: ['format', 'from', 'to'],
          additionalProperties: false,
        },
        response: {
          200: {
            description: 'CSV with a header row (text/csv), or a JSON array of audit events (application/json)',
            content: {
              'text/csv': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'array', items: auditEvent } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const who = requireRole(req, 'auditor');
      const { format, from, to } = req.query;
      checkRange(from, to, EXPORT_MAX_DAYS);
      const network = req.query.include === 'network';
      // Audited (and committed) before the first byte leaves.
      await act(req, 200, async () => ({
        result: undefined,
        targets: [],
        detail: { from, to, format, ...(network ? { include: 'network' } : {}) },
      }));
      const fields = network ? [...VIEW_FIELDS, ...NETWORK_FIELDS] : VIEW_FIELDS;

      // Keyset batches, each in its own short transaction, pulled as the client reads: the export is never held
      // in memory and no transaction stays open while a slow client catches up.
      async function* batches(): AsyncGenerator<string> {
        yield format === 'csv' ? csvLine(fields) : '[';
        let after: AuditView | undefined;
        let first = true;
        try {
          for (;;) {
            const rows = await withTransaction(pool, async (c) => {
              await beginRequest(c, who);
              return listAudit(c, { from, to }, { after, limit: EXPORT_BATCH, network });
            });
            if (rows.length > 0) {
              yield rows
                .map((r) => {
                  const row = pick(r, fields);
                  if (format === 'csv') return csvLine(fields.map((f) => row[f]));
                  const json = `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
                  first = false;
                  return json;
                })
                .join('');
            }
            if (rows.length < EXPORT_BATCH) break;
            after = rows[rows.length - 1];
          }
        } catch (err) {
          req.log.error({ err: safeError(err) }, 'audit export failed mid-stream');
          throw err;
        }
        if (format === 'json') yield '\n]\n';
      }

      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${stamp(from)}-${stamp(to)}.${format}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(batches(), { objectMode: false }));
    },
  );
}

/** The acting user and roles for RLS, in a transaction that begin_request cannot run in (read-only). */
async function actAs(db: pg.ClientBase, who: Identity): Promise<void> {
  await db.query("SELECT set_config('hmk.user_id', $1, true), set_config('hmk.roles', $2, true)", [
    who.userId,
    who.roles.join(','),
  ]);
}

async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await fn(client);
    client.release();
    return result;
  } catch (err) {
    client.release(true); // the connection's state is unknown: drop it
    throw err;
  }
}
