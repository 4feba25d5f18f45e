import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { notFound } from '../errors.js';
import type { RoutePluginOptions } from './context.js';
import { breakGlassRead } from './break-glass.js';
import { assertCliniciansOnly, ensureContact, isPatientOnly } from './contacts.js';
import { conversation, errorResponses, idParams, uuid } from './schemas.js';

// No message text here: listing endpoints carry no PHI (P04). Rows are filtered by RLS alone.
const CONVERSATION_VIEW = `
  SELECT c.id, c.kind, c.end_to_end AS "endToEnd", c.created_at AS "createdAt",
         (SELECT array_agg(p.user_id ORDER BY p.user_id) FROM hmk.participants p WHERE p.conversation_id = c.id)
           AS "participantIds",
         coalesce((SELECT m.created_at FROM hmk.messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1),
                  c.created_at) AS "lastActivityAt"
    FROM hmk.conversations c`;

async function conversationById(c: pg.PoolClient, id: string) {
  const { rows } = await c.query(`${CONVERSATION_VIEW} WHERE c.id = $1`, [id]);
  if (rows.length === 0) throw notFound('conversation not found');
  return rows[0];
}

export async function conversationRoutes(
  app: FastifyInstance,
  { deps, actions: { act } }: RoutePluginOptions,
): Promise<void> {
  app.post<{ Body: { participantIds: string[]; endToEnd?: boolean } }>(
    '/v1/conversations',
    {
      config: { action: 'conversation.create' },
      schema: {
        summary: 'Start a conversation (idempotent for the same 1:1 pair); the creator is added',
        body: {
          type: 'object',
          properties: {
            participantIds: { type: 'array', items: uuid, minItems: 1, maxItems: deps.config.maxGroupSize },
            endToEnd: { type: 'boolean', default: false },
          },
          required: ['participantIds'],
          additionalProperties: false,
        },
        response: { 200: conversation, 201: conversation, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { participantIds, endToEnd = false } = req.body;
      let created = false;
      const result = await act(req, 201, async (c, who) => {
        await ensureContact(c, who);
        const ids = participantIds.map((p) => p.toLowerCase());
        if (deps.config.membersCliniciansOnly && isPatientOnly(who)) await assertCliniciansOnly(c, who, ids);
        const { rows } = await c.query<{ id: string; created: boolean }>(
          'SELECT id, created FROM hmk.create_conversation($1::uuid[], $2, $3, $4)',
          [ids, endToEnd, deps.config.maxGroupSize, deps.config.membersCliniciansOnly],
        );
        created = rows[0].created;
        // conversation.created for every participant, in the same transaction (so it exists exactly when the
        // conversation does).
        if (created && deps.config.events.enabled) {
          await c.query(
            `SELECT hmk.emit_events(ARRAY(SELECT p.user_id FROM hmk.participants p WHERE p.conversation_id = $1),
                                    'conversation.created', $1, NULL, $2)`,
            [rows[0].id, who.userId],
          );
        }
        return { result: await conversationById(c, rows[0].id), targets: [rows[0].id] };
      });
      return reply.code(created ? 201 : 200).send(result);
    },
  );

  app.get(
    '/v1/conversations',
    {
      config: { action: 'conversation.list' },
      schema: {
        summary: 'My conversations, newest activity first (no message text)',
        response: { 200: { type: 'array', items: conversation }, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        // Only conversations I take part in: one readable under break-glass is read by id, and audited as such.
        const { rows } = await c.query(
          `${CONVERSATION_VIEW} WHERE c.id IN (SELECT hmk.my_conversation_ids()) ORDER BY "lastActivityAt" DESC, c.id LIMIT 500`,
        );
        return { result: rows, targets: rows.map((r) => r.id as string) };
      }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/conversations/:id',
    {
      config: { action: 'conversation.read' },
      schema: { summary: 'One conversation', params: idParams, response: { 200: conversation, ...errorResponses } },
    },
    (req) =>
      act(req, 200, async (c, who) => ({
        result: await conversationById(c, req.params.id),
        targets: [req.params.id],
        ...(await breakGlassRead(c, who, req.params.id, 'conversation.read.break_glass')),
      })),
  );
}
