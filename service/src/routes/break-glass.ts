// Break-glass (P04, 164.312(a)(2)(ii)): an admin or auditor states a reason and gets read access to one
// conversation they are not part of, for config.breakGlassMinutes. Opening a grant is a distinct
// high-severity audit entry and a notice to the organisation contact; every read under it is audited
// as break-glass. The reason stays in hmk.break_glass_grants (it may hold PHI): never in the audit
// row, a log line or the notice. Only GET /v1/break-glass, the review list, shows it.
//
// Fail-closed: the notice is sent inside the grant's transaction, before the audit row and the commit.
// If it cannot be sent, the grant is rolled back, the refused attempt gets its own high-severity audit
// row, and the caller gets a 503. Access that nobody was told about never happens; at worst (commit
// failing after the notice) the contact hears of a grant id that does not exist.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { writeAudit } from '../audit/audit.js';
import type { Identity } from '../auth/verifier.js';
import { withTransaction } from '../db/pool.js';
import { HttpError, notFound } from '../errors.js';
import { safeError } from '../logger.js';
import { NotifyError } from '../notify/types.js';
import { auditEntry, requireRole, type ActionOutcome, type RoutePluginOptions } from './context.js';
import { ensureContact } from './contacts.js';
import { errorReply, errorResponses, idParams, plainText, requireReason, uuid } from './schemas.js';

const MIN_REASON = 20;

const grant = {
  type: 'object',
  properties: {
    id: uuid,
    conversationId: uuid,
    userId: uuid,
    reason: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    active: { type: 'boolean' },
  },
  required: ['id', 'conversationId', 'userId', 'reason', 'createdAt', 'expiresAt', 'active'],
} as const;

/** A grant in a list: the reason may itself hold PHI, so it comes back only from the audited single read. */
const { reason: _reason, ...grantSummaryProps } = grant.properties;
const grantSummary = {
  type: 'object',
  properties: grantSummaryProps,
  required: ['id', 'conversationId', 'userId', 'createdAt', 'expiresAt', 'active'],
} as const;

const GRANT_COLUMNS = `id, conversation_id AS "conversationId", user_id AS "userId", created_at AS "createdAt",
  expires_at AS "expiresAt", expires_at > now() AS active`;

/**
 * How to audit a read of `conversationId`: as break-glass (high severity, naming the grant) when the
 * caller reads it only through a grant, otherwise as the route's own action.
 */
export async function breakGlassRead(
  c: pg.PoolClient,
  who: Identity,
  conversationId: string,
  action: string,
): Promise<Pick<ActionOutcome<unknown>, 'action' | 'severity' | 'detail'>> {
  if (!who.roles.includes('admin') && !who.roles.includes('auditor')) return {};
  const { rows } = await c.query<{ id: string | null }>('SELECT hmk.break_glass_grant_for($1) AS id', [conversationId]);
  const grantId = rows[0]?.id;
  return grantId ? { action, severity: 'high', detail: { grantId } } : {};
}

export async function breakGlassRoutes(
  app: FastifyInstance,
  { deps, actions: { act, beginRequest } }: RoutePluginOptions,
): Promise<void> {
  const { config, notifier } = deps;

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/conversations/:id/break-glass',
    {
      config: { action: 'break_glass.open' },
      schema: {
        summary: `Emergency read access to a conversation you are not part of (admin or auditor; a reason of at least ${MIN_REASON} characters)`,
        params: idParams,
        body: {
          type: 'object',
          properties: { reason: { ...plainText(2000), minLength: MIN_REASON } },
          required: ['reason'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { grantId: uuid, conversationId: uuid, expiresAt: { type: 'string', format: 'date-time' } },
            required: ['grantId', 'conversationId', 'expiresAt'],
          },
          ...errorResponses,
          503: errorReply,
        },
      },
    },
    async (req, reply) => {
      const who = requireRole(req, 'admin', 'auditor');
      const conversationId = req.params.id.toLowerCase();
      const { reason } = req.body;
      requireReason('body.reason', reason, MIN_REASON, 'why access is needed');
      try {
        const result = await act(req, 201, async (c) => {
          // Participants see their own conversations anyway (RLS), so this tells them apart before the grant.
          const mine = await c.query('SELECT 1 FROM hmk.participants WHERE conversation_id = $1 AND user_id = $2', [
            conversationId,
            who.userId,
          ]);
          if (mine.rowCount)
            throw new HttpError(409, 'you take part in this conversation; read it directly, break-glass is not needed');
          await ensureContact(c, who);
          const { rows } = await c.query<{ id: string; created_at: Date; expires_at: Date }>(
            'SELECT id, created_at, expires_at FROM hmk.open_break_glass($1, $2, $3)',
            [conversationId, reason, config.breakGlassMinutes],
          );
          const g = rows[0];
          try {
            await notifier.notify({
              event: 'break_glass.open',
              grantId: g.id,
              conversationId,
              userId: who.userId,
              openedAt: g.created_at.toISOString(),
              expiresAt: g.expires_at.toISOString(),
            });
          } catch (err) {
            throw new NotifyError(err);
          }
          return {
            result: { grantId: g.id, conversationId, expiresAt: g.expires_at.toISOString() },
            targets: [conversationId, g.id],
            severity: 'high',
            detail: { grantId: g.id, expiresAt: g.expires_at.toISOString() },
          };
        });
        return reply.code(201).send(result);
      } catch (err) {
        if (!(err instanceof NotifyError)) throw err;
        req.log.error({ err: safeError(err.cause), conversationId }, 'break-glass notice failed; grant refused');
        await withTransaction(deps.pool, async (c) => {
          await beginRequest(c, who);
          await writeAudit(c, {
            ...auditEntry(req, 503, [conversationId]),
            severity: 'high',
            detail: { notified: false },
          });
        });
        req.audited = true;
        throw new HttpError(
          503,
          'the break-glass notice could not be sent to the organisation contact, so access was not granted; retry shortly',
        );
      }
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/v1/break-glass',
    {
      config: { action: 'break_glass.list' },
      schema: {
        summary: 'Break-glass grants for review, newest first, without their reasons (admin or auditor)',
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          additionalProperties: false,
        },
        response: { 200: { type: 'array', items: grantSummary }, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin', 'auditor');
      return act(req, 200, async (c) => {
        const { rows } = await c.query(
          `SELECT ${GRANT_COLUMNS} FROM hmk.break_glass_grants ORDER BY created_at DESC, id LIMIT $1`,
          [req.query.limit],
        );
        return { result: rows, targets: rows.map((r) => r.id as string) };
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/break-glass/:id',
    {
      config: { action: 'break_glass.read' },
      schema: {
        summary: 'One break-glass grant with its stated reason, for review (admin or auditor; audited, high severity)',
        params: idParams,
        response: { 200: grant, ...errorResponses },
      },
    },
    (req) => {
      requireRole(req, 'admin', 'auditor');
      return act(req, 200, async (c) => {
        const { rows } = await c.query(`SELECT ${GRANT_COLUMNS}, reason FROM hmk.break_glass_grants WHERE id = $1`, [
          req.params.id,
        ]);
        if (rows.length === 0) throw notFound('grant not found');
        return { result: rows[0], targets: [rows[0].id, rows[0].conversationId], severity: 'high' };
      });
    },
  );
}
