// Messages: one row per message with a server timestamp; the body is sealed with envelope encryption
// (P05), or stored opaque for end-to-end conversations, in its own table (P06).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SealedBody } from '../crypto/envelope.js';
import { withTransaction } from '../db/pool.js';
import { SendBatcher } from '../db/send-batcher.js';
import { HttpError, notFound } from '../errors.js';
import { auditEntry, identityOf, type RoutePluginOptions } from './context.js';
import { errorResponses, idParams, messageParams, uuid, wellFormed } from './schemas.js';

interface StoredBody {
  scheme: 'kms-envelope' | 'e2e';
  key_id: string | null;
  encrypted_key: Buffer | null;
  iv: Buffer | null;
  ciphertext: Buffer;
}

/**
 * Whether the sender's conversation is end-to-end, keyed by sender and conversation: an entry exists only once
 * that sender was found to be a participant, so nobody else reaches sealing (and a data key) on a refused send.
 * Both facts are fixed once true (participants are never removed; a closed account is refused earlier), so the
 * bounded cache is safe.
 */
class ConversationModes {
  private readonly modes = new Map<string, boolean>();
  constructor(private readonly max = 10_000) {}
  get(id: string): boolean | undefined {
    return this.modes.get(id);
  }
  set(id: string, endToEnd: boolean): void {
    if (this.modes.size >= this.max) this.modes.delete(this.modes.keys().next().value as string);
    this.modes.set(id, endToEnd);
  }
}

/**
 * The Idempotency-Key header (IETF httpapi draft: a structured-field string, so usually quoted; a bare token is
 * accepted too). 1 to 255 printable ASCII characters; anything else is a 400 naming the header.
 */
function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const key = /^"(.*)"$/.test(raw) ? raw.slice(1, -1) : raw;
  if (!/^[\x20-\x7e]{1,255}$/.test(key) || key.includes('"')) {
    throw new HttpError(400, 'headers.idempotency-key must be 1 to 255 printable ASCII characters, e.g. "<a uuid>"');
  }
  return key;
}

export async function messageRoutes(
  app: FastifyInstance,
  { deps, actions: { act, beginRequest } }: RoutePluginOptions,
): Promise<void> {
  const { pool, envelope, config } = deps;
  const modes = new ConversationModes();
  const batcher = new SendBatcher(pool, config.idleTimeoutSeconds, config.events.enabled);

  async function isEndToEnd(req: FastifyRequest, conversationId: string): Promise<boolean> {
    const who = identityOf(req);
    const cacheKey = `${who.userId}:${conversationId}`;
    const cached = modes.get(cacheKey);
    if (cached !== undefined) return cached;
    // Participation, not readability: a break-glass reader may see the conversation but never sends to it.
    const rows = await withTransaction(pool, async (c) => {
      await beginRequest(c, who);
      return (
        await c.query(
          'SELECT end_to_end FROM hmk.conversations WHERE id = $1 AND id IN (SELECT hmk.my_conversation_ids())',
          [conversationId],
        )
      ).rows;
    });
    if (rows.length === 0) throw notFound('conversation not found');
    modes.set(cacheKey, rows[0].end_to_end);
    return rows[0].end_to_end;
  }

  async function openBody(conversationId: string, b: StoredBody): Promise<string> {
    if (b.scheme === 'e2e') return b.ciphertext.toString('utf8');
    return envelope.open(conversationId, {
      keyId: b.key_id!,
      encryptedKey: b.encrypted_key!,
      iv: b.iv!,
      ciphertext: b.ciphertext,
    });
  }

  app.post<{ Params: { id: string }; Body: { body: string } }>(
    '/v1/conversations/:id/messages',
    {
      config: { action: 'message.send' },
      schema: {
        summary:
          'Send a message (for end-to-end conversations the body is the client ciphertext). With an Idempotency-Key ' +
          'header, a retry of the same request within 24 h returns the original message (Idempotent-Replayed: true); ' +
          'the same key with a different body or conversation is a 422',
        params: idParams,
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 257 } },
        },
        body: {
          type: 'object',
          properties: { body: { type: 'string', minLength: 1 } },
          required: ['body'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: uuid,
              conversationId: uuid,
              senderId: uuid,
              createdAt: { type: 'string', format: 'date-time' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const who = identityOf(req);
      const conversationId = req.params.id.toLowerCase();
      const text = req.body.body;
      const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
      if (Buffer.byteLength(text, 'utf8') > config.maxMessageBytes) {
        throw new HttpError(413, `body.body exceeds ${config.maxMessageBytes} bytes`);
      }
      if (!wellFormed(text)) throw new HttpError(400, 'body.body must be well-formed Unicode');

      const endToEnd = await isEndToEnd(req, conversationId);
      const sealed: SealedBody | undefined = endToEnd ? undefined : await envelope.seal(conversationId, text);
      // One statement: session check, message, body, outbox rows and audit row commit together.
      const audit = auditEntry(req, 201, []);
      // Session check, message, body, outbox rows and audit row commit together (see SendBatcher).
      const sent = await batcher.send({
        userId: who.userId,
        sessionId: who.sessionId,
        conversationId,
        scheme: endToEnd ? 'e2e' : 'kms-envelope',
        keyId: sealed?.keyId ?? null,
        encryptedKey: sealed?.encryptedKey ?? null,
        iv: sealed?.iv ?? null,
        ciphertext: sealed ? sealed.ciphertext : Buffer.from(text, 'utf8'),
        ip: audit.ip ?? null,
        userAgent: audit.userAgent ?? null,
        requestId: audit.requestId,
        idempotencyKey,
        requestHash: idempotencyKey
          ? createHash('sha256').update(`${conversationId}\n`).update(text, 'utf8').digest()
          : null,
      });
      req.audited = true;
      if (sent.replayed) void reply.header('idempotent-replayed', 'true');
      else deps.onMessageSent?.();
      return reply.code(201).send({ id: sent.id, conversationId, senderId: who.userId, createdAt: sent.createdAt });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { before?: string; limit: number } }>(
    '/v1/conversations/:id/messages',
    {
      config: { action: 'message.read' },
      schema: {
        summary: 'Messages, newest first; page with before=<id of the oldest message seen>',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { before: uuid, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: uuid,
                senderId: uuid,
                // null once the sender recalled the message (recalled: true).
                body: { type: ['string', 'null'] },
                createdAt: { type: 'string', format: 'date-time' },
                recalled: { type: 'boolean' },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const who = identityOf(req);
      const conversationId = req.params.id.toLowerCase();
      const { before, limit } = req.query;
      const audit = auditEntry(req, 200, []);
      // One statement: session check, visibility (RLS), the page, and the audit row naming what was read.
      const { rows } = await pool.query<
        Partial<StoredBody> & { id: string; sender_id: string; created_at: Date; recalled: boolean }
      >({
        name: 'hmk-read-messages', // prepared once per connection
        text: 'SELECT * FROM hmk.read_messages($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        values: [
          who.userId,
          who.sessionId,
          config.idleTimeoutSeconds,
          who.roles,
          conversationId,
          before ?? null,
          limit,
          audit.ip ?? null,
          audit.userAgent ?? null,
          audit.requestId,
        ],
      });
      req.audited = true;
      // The read hands these messages to the reader's client: delivery receipts for the ones others sent.
      const fromOthers = rows.filter((m) => m.sender_id !== who.userId).map((m) => m.id);
      if (fromOthers.length) await pool.query('SELECT hmk.mark_delivered($1, $2)', [who.userId, fromOthers]);
      return Promise.all(
        rows.map(async (m) =>
          m.recalled || !m.ciphertext
            ? { id: m.id, senderId: m.sender_id, body: null, createdAt: m.created_at, recalled: true }
            : {
                id: m.id,
                senderId: m.sender_id,
                body: await openBody(conversationId, m as StoredBody),
                createdAt: m.created_at,
              },
        ),
      );
    },
  );

  app.post<{ Params: { id: string }; Body: { upTo: string } }>(
    '/v1/conversations/:id/read',
    {
      config: { action: 'message.mark_read' },
      schema: {
        summary: 'Mark the conversation read up to a message (it and every earlier one); senders get message.read',
        params: idParams,
        body: {
          type: 'object',
          properties: { upTo: uuid },
          required: ['upTo'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { conversationId: uuid, upTo: uuid, marked: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        const conversationId = req.params.id.toLowerCase();
        const upTo = req.body.upTo.toLowerCase();
        const { rows } = await c.query<{ n: number }>('SELECT hmk.mark_read($1, $2) AS n', [conversationId, upTo]);
        return {
          result: { conversationId, upTo, marked: rows[0].n },
          targets: [conversationId, upTo],
          detail: { marked: rows[0].n },
        };
      }),
  );

  app.get<{ Params: { id: string; messageId: string } }>(
    '/v1/conversations/:id/messages/:messageId/receipts',
    {
      config: { action: 'message.receipts.read' },
      schema: {
        summary: "A message's delivery and read receipts: its sender, or an admin/auditor under break-glass",
        params: messageParams,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                userId: uuid,
                deliveredAt: { type: ['string', 'null'], format: 'date-time' },
                readAt: { type: ['string', 'null'], format: 'date-time' },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        const conversationId = req.params.id.toLowerCase();
        const messageId = req.params.messageId.toLowerCase();
        const grant = (
          await c.query<{ g: string | null }>('SELECT hmk.break_glass_grant_for($1) AS g', [conversationId])
        ).rows[0].g;
        const { rows } = await c.query<{ user_id: string; delivered_at: Date | null; read_at: Date | null }>(
          'SELECT * FROM hmk.message_receipts($1, $2)',
          [conversationId, messageId],
        );
        return {
          result: rows.map((r) => ({ userId: r.user_id, deliveredAt: r.delivered_at, readAt: r.read_at })),
          targets: [conversationId, messageId],
          // A read made only through a grant is audited as break-glass, like a message read.
          ...(grant ? { action: 'message.receipts.read.break_glass', severity: 'high' as const } : {}),
          ...(grant ? { detail: { grantId: grant } } : {}),
        };
      }),
  );

  app.delete<{ Params: { id: string; messageId: string } }>(
    '/v1/conversations/:id/messages/:messageId',
    {
      config: { action: 'message.recall' },
      schema: {
        summary:
          'Recall a message you sent: its body is destroyed (sealed away under a legal hold), its attachments go, ' +
          'participants get message.recalled, and pushes not yet delivered for it are dropped',
        params: messageParams,
        response: {
          200: {
            type: 'object',
            properties: { id: uuid, conversationId: uuid, recalled: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        const conversationId = req.params.id.toLowerCase();
        const messageId = req.params.messageId.toLowerCase();
        const { rows } = await c.query<{ held: boolean; attachments: number; pushes_dropped: number }>(
          'SELECT * FROM hmk.recall_message($1, $2)',
          [conversationId, messageId],
        );
        const r = rows[0];
        return {
          // Whether a legal hold kept the body is for auditors only: the sender is never told a hold exists.
          result: { id: messageId, conversationId, recalled: true },
          targets: [conversationId, messageId],
          detail: { heldForLegalHold: r.held, attachments: r.attachments, pushesDropped: r.pushes_dropped },
        };
      }),
  );
}
