// Retention settings and legal holds (admin only; the database checks again with hmk.has_role('admin')).
// The retention job (src/retention/job.ts) does the deleting. An admin usually takes part in none of the
// conversations, so these routes reveal nothing about one but its setting. Hold reasons may hold PHI: they
// stay in hmk.legal_holds, shown only by GET /v1/legal-holds, never in an audit row or a log line.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { HttpError, notFound } from '../errors.js';
import { requireRole, type RoutePluginOptions } from './context.js';
import { errorResponses, idParams, plainText, requireReason, uuid } from './schemas.js';

const MAX_DAYS = 36_500;
const MIN_REASON = 10;

const reasonSchema = { ...plainText(2000), minLength: MIN_REASON } as const;

const retentionView = {
  type: 'object',
  properties: {
    days: { type: 'integer', description: 'Days messages are kept; 0 keeps them forever' },
    source: { type: 'string', enum: ['setting', 'default'] },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['days', 'source', 'updatedAt'],
} as const;

const conversationRetentionView = {
  type: 'object',
  properties: {
    conversationId: uuid,
    days: {
      type: ['integer', 'null'],
      description: "The conversation's own (shorter) retention; null = the organisation's",
    },
    effectiveDays: { type: 'integer', description: 'Days its messages are kept; 0 keeps them forever' },
  },
  required: ['conversationId', 'days', 'effectiveDays'],
} as const;

const hold = {
  type: 'object',
  properties: {
    id: uuid,
    conversationId: { type: ['string', 'null'], format: 'uuid' },
    userId: { type: ['string', 'null'], format: 'uuid' },
    reason: { type: 'string' },
    placedBy: uuid,
    placedAt: { type: 'string', format: 'date-time' },
    releasedBy: { type: ['string', 'null'], format: 'uuid' },
    releasedAt: { type: ['string', 'null'], format: 'date-time' },
    releaseReason: { type: ['string', 'null'] },
    active: { type: 'boolean' },
  },
  required: [
    'id',
    'conversationId',
    'userId',
    'reason',
    'placedBy',
    'placedAt',
    'releasedBy',
    'releasedAt',
    'releaseReason',
    'active',
  ],
} as const;

/** A hold in a list: its reasons may hold PHI, so they come back only from the audited single read. */
const { reason: _reason, releaseReason: _releaseReason, ...holdSummaryProps } = hold.properties;
const holdSummary = {
  type: 'object',
  properties: holdSummaryProps,
  required: ['id', 'conversationId', 'userId', 'placedBy', 'placedAt', 'releasedBy', 'releasedAt', 'active'],
} as const;

const HOLD_SUMMARY_VIEW = `SELECT id, conversation_id AS "conversationId", user_id AS "userId", placed_by AS "placedBy",
  placed_at AS "placedAt", released_by AS "releasedBy", released_at AS "releasedAt", released_at IS NULL AS active
  FROM hmk.legal_holds`;

const HOLD_VIEW = `SELECT id, conversation_id AS "conversationId", user_id AS "userId", reason, placed_by AS "placedBy",
  placed_at AS "placedAt", released_by AS "releasedBy", released_at AS "releasedAt", release_reason AS "releaseReason",
  released_at IS NULL AS active FROM hmk.legal_holds`;

interface HoldRow {
  id: string;
  conversationId: string | null;
  userId: string | null;
}

/** What a hold's audit row names: ids only, never the reason. */
const holdDetail = (h: HoldRow) =>
  h.conversationId ? { holdId: h.id, conversationId: h.conversationId } : { holdId: h.id, userId: h.userId };
const holdTargets = (h: HoldRow) => [h.id, (h.conversationId ?? h.userId)!];

function checkReason(reason: string, field: string): void {
  requireReason(field, reason, MIN_REASON);
}

/** The admin's setting, else the default the owner recorded at start (the value the retention job deletes by). */
async function organisationRetention(c: pg.PoolClient) {
  const { rows } = await c.query<{ days: number; updatedAt: Date }>(
    'SELECT days, updated_at AS "updatedAt" FROM hmk.retention_policy',
  );
  if (rows[0]) return { days: rows[0].days, source: 'setting', updatedAt: rows[0].updatedAt };
  const { rows: recorded } = await c.query<{ days: number }>('SELECT days FROM hmk.retention_default');
  return { days: recorded[0]?.days ?? 0, source: 'default', updatedAt: null };
}

export async function retentionRoutes(app: FastifyInstance, { actions: { act } }: RoutePluginOptions): Promise<void> {
  app.get(
    '/v1/retention',
    {
      config: { action: 'retention.read' },
      schema: {
        summary: "The organisation's message retention (admin)",
        response: { 200: retentionView, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return act(req, 200, async (c) => ({ result: await organisationRetention(c), targets: [] }));
    },
  );

  app.put<{ Body: { days: number } }>(
    '/v1/retention',
    {
      config: { action: 'retention.update' },
      schema: {
        summary: "Set the organisation's message retention in days, 0 = keep forever (admin)",
        body: {
          type: 'object',
          properties: { days: { type: 'integer', minimum: 0, maximum: MAX_DAYS } },
          required: ['days'],
          additionalProperties: false,
        },
        response: { 200: retentionView, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return act(req, 200, async (c) => {
        await c.query(
          `INSERT INTO hmk.retention_policy (days, updated_by) VALUES ($1, hmk.user_id())
         ON CONFLICT (singleton) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = now()`,
          [req.body.days],
        );
        return { result: await organisationRetention(c), targets: [], detail: { days: req.body.days } };
      });
    },
  );

  app.put<{ Params: { id: string }; Body: { days: number | null } }>(
    '/v1/conversations/:id/retention',
    {
      config: { action: 'conversation.retention.update' },
      schema: {
        summary: "Set a conversation's own retention, shorter than the organisation's, or null to clear it (admin)",
        params: idParams,
        body: {
          type: 'object',
          properties: { days: { type: ['integer', 'null'], minimum: 1, maximum: MAX_DAYS } },
          required: ['days'],
          additionalProperties: false,
        },
        response: { 200: conversationRetentionView, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      const conversationId = req.params.id.toLowerCase();
      const { days } = req.body;
      return act(req, 200, async (c) => {
        // Refuses a value that is not shorter (400 naming body.days) and an unknown conversation (404).
        const { rows } = await c.query<{ days: number | null; org_days: number }>(
          'SELECT days, org_days FROM hmk.set_conversation_retention($1, $2)',
          [conversationId, days],
        );
        const org = rows[0].org_days;
        const effectiveDays = days === null ? org : org === 0 ? days : Math.min(days, org);
        return { result: { conversationId, days, effectiveDays }, targets: [conversationId], detail: { days } };
      });
    },
  );

  app.post<{ Body: { conversationId?: string; userId?: string; reason: string } }>(
    '/v1/legal-holds',
    {
      config: { action: 'legal_hold.place' },
      schema: {
        summary:
          'Place a legal hold on a conversation, or on a user (all conversations they are in), pausing deletion (admin)',
        body: {
          type: 'object',
          properties: { conversationId: uuid, userId: uuid, reason: reasonSchema },
          required: ['reason'],
          additionalProperties: false,
        },
        response: { 201: hold, ...errorResponses },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const { conversationId, userId, reason } = req.body;
      if ((conversationId === undefined) === (userId === undefined)) {
        throw new HttpError(400, 'body must name exactly one of conversationId or userId');
      }
      checkReason(reason, 'body.reason');
      const result = await act(req, 201, async (c) => {
        let rows: HoldRow[];
        try {
          ({ rows } = await c.query<HoldRow>(
            `WITH placed AS (INSERT INTO hmk.legal_holds (conversation_id, user_id, reason, placed_by)
             VALUES ($1, $2, $3, hmk.user_id()) RETURNING *)
           ${HOLD_VIEW.replace('hmk.legal_holds', 'placed')}`,
            [conversationId?.toLowerCase() ?? null, userId?.toLowerCase() ?? null, reason],
          ));
        } catch (err) {
          // The foreign keys name the unknown target.
          if ((err as { code?: string }).code === '23503')
            throw notFound(conversationId ? 'conversation not found' : 'user not found');
          throw err;
        }
        return { result: rows[0], targets: holdTargets(rows[0]), severity: 'high', detail: holdDetail(rows[0]) };
      });
      return reply.code(201).send(result);
    },
  );

  app.get<{ Querystring: { active?: boolean } }>(
    '/v1/legal-holds',
    {
      config: { action: 'legal_hold.list' },
      schema: {
        summary: 'Legal holds, newest first, without their reasons (admin); active=true lists only those in force',
        querystring: { type: 'object', properties: { active: { type: 'boolean' } }, additionalProperties: false },
        response: { 200: { type: 'array', items: holdSummary }, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return act(req, 200, async (c) => {
        const { rows } = await c.query<HoldRow>(
          `${HOLD_SUMMARY_VIEW} WHERE ($1::boolean IS NULL OR (released_at IS NULL) = $1) ORDER BY placed_at DESC, id LIMIT 1000`,
          [req.query.active ?? null],
        );
        return { result: rows, targets: rows.map((r) => r.id) };
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/legal-holds/:id',
    {
      config: { action: 'legal_hold.read' },
      schema: {
        summary: 'One legal hold with its reasons (admin; audited, high severity)',
        params: idParams,
        response: { 200: hold, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      return act(req, 200, async (c) => {
        const { rows } = await c.query<HoldRow>(`${HOLD_VIEW} WHERE id = $1`, [req.params.id]);
        if (rows.length === 0) throw notFound('legal hold not found');
        return { result: rows[0], targets: [rows[0].id], severity: 'high' };
      });
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/legal-holds/:id/release',
    {
      config: { action: 'legal_hold.release' },
      schema: {
        summary: 'Release a legal hold; deletion of what it held resumes on the next retention run (admin)',
        params: idParams,
        body: {
          type: 'object',
          properties: { reason: reasonSchema },
          required: ['reason'],
          additionalProperties: false,
        },
        response: { 200: hold, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      checkReason(req.body.reason, 'body.reason');
      const id = req.params.id.toLowerCase();
      return act(req, 200, async (c) => {
        const { rows } = await c.query<HoldRow>(
          `WITH released AS (UPDATE hmk.legal_holds SET released_by = hmk.user_id(), released_at = now(), release_reason = $2
            WHERE id = $1 AND released_at IS NULL RETURNING *)
         ${HOLD_VIEW.replace('hmk.legal_holds', 'released')}`,
          [id, req.body.reason],
        );
        if (rows.length === 0) {
          const known = await c.query('SELECT 1 FROM hmk.legal_holds WHERE id = $1', [id]);
          throw known.rowCount ? new HttpError(409, 'legal hold already released') : notFound('legal hold not found');
        }
        return { result: rows[0], targets: holdTargets(rows[0]), severity: 'high', detail: holdDetail(rows[0]) };
      });
    },
  );
}
