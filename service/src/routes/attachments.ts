// Attachments: files linked to a message. The bytes do not pass through the service (in AWS): the sender
// of a message declares a file's type and size and gets a presigned upload (S3: SSE-KMS under the PHI key,
// exact type and length), PUTs the bytes, then completes; the service checks the stored object and marks
// it ready. Readers get presigned GETs valid at most 5 minutes (never past the end of a break-glass grant),
// each one audited. No file name is taken or stored: it may itself be PHI (a client that wants one puts it in
// the message text, which is sealed).
// An upload URL stays valid after its row is gone, so objects are never deleted here: deleting a row queues
// its object (migration 007), and the retention job deletes it once no upload URL for it can still be used.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { LOCAL_URL_PATH, LocalAttachmentStore } from '../attachments/local.js';
import { withTransaction } from '../db/pool.js';
import { HttpError, notFound } from '../errors.js';
import { breakGlassRead } from './break-glass.js';
import { identityOf, type RoutePluginOptions } from './context.js';
import { errorReply, errorResponses, messageParams, uuid } from './schemas.js';

const ATTACHMENTS = '/v1/conversations/:id/messages/:messageId/attachments';

const attachmentParams = {
  ...messageParams,
  properties: { ...messageParams.properties, attachmentId: uuid },
  required: [...messageParams.required, 'attachmentId'],
} as const;

const attachmentProperties = {
  id: uuid,
  conversationId: uuid,
  messageId: uuid,
  contentType: { type: 'string' },
  sizeBytes: { type: 'integer' },
  status: { type: 'string', enum: ['pending', 'ready'] },
  createdAt: { type: 'string', format: 'date-time' },
} as const;
const attachmentRequired = Object.keys(attachmentProperties);
const attachment = { type: 'object', properties: attachmentProperties, required: attachmentRequired } as const;

const presigned = {
  type: 'object',
  description: 'Send exactly this request: the method, to the URL, with these headers (they are signed)',
  properties: {
    url: { type: 'string' },
    method: { type: 'string', enum: ['PUT', 'GET'] },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    expiresAt: { type: 'string', format: 'date-time' },
  },
  required: ['url', 'method', 'headers', 'expiresAt'],
} as const;

// size_bytes is a bigint (text in node-pg); every allowed size is far below 2^53.
const COLUMNS = `id, conversation_id AS "conversationId", message_id AS "messageId", content_type AS "contentType",
  size_bytes::float8 AS "sizeBytes", status, created_at AS "createdAt"`;

interface AttachmentRow {
  id: string;
  conversationId: string;
  messageId: string;
  contentType: string;
  sizeBytes: number;
  status: 'pending' | 'ready';
  createdAt: Date;
}

type MessageParams = { id: string; messageId: string };
type AttachmentParams = MessageParams & { attachmentId: string };

/** The check on a stored object failed; its row (and so its object) is discarded outside the rolled-back transaction. */
class UploadMismatch extends Error {
  constructor(message: string) {
    super(message);
  }
}

function ids(params: Partial<AttachmentParams>) {
  return {
    conversationId: params.id!.toLowerCase(),
    messageId: params.messageId!.toLowerCase(),
    attachmentId: params.attachmentId?.toLowerCase(),
  };
}

/** Writers must take part in the conversation; anyone else gets the same 404 as for a missing one. */
async function requireParticipant(c: pg.PoolClient, conversationId: string): Promise<void> {
  const { rows } = await c.query('SELECT $1::uuid IN (SELECT hmk.my_conversation_ids()) AS ok', [conversationId]);
  if (!rows[0].ok) throw notFound('conversation not found');
}

/**
 * When a break-glass grant ends: a URL issued under it must not outlive it. URLs live whole seconds, so a grant
 * ending within 2 seconds reads as already ended (404, as for an expired grant).
 */
async function grantEnd(c: pg.PoolClient, grantId: string): Promise<Date> {
  const { rows } = await c.query<{ expires_at: Date }>('SELECT expires_at FROM hmk.break_glass_grants WHERE id = $1', [
    grantId,
  ]);
  if (!rows.length || rows[0].expires_at.getTime() - Date.now() < 2000) throw notFound('conversation not found');
  return rows[0].expires_at;
}

/** Readers: participants, and admins/auditors under an unexpired break-glass grant. */
async function requireReader(c: pg.PoolClient, conversationId: string): Promise<void> {
  const { rows } = await c.query('SELECT $1::uuid IN (SELECT hmk.readable_conversation_ids()) AS ok', [conversationId]);
  if (!rows[0].ok) throw notFound('conversation not found');
}

export async function attachmentRoutes(
  app: FastifyInstance,
  { deps, actions: { act, beginRequest } }: RoutePluginOptions,
): Promise<void> {
  const { attachments: store, config } = deps;
  const { maxBytes, allowedTypes } = config.attachments;

  async function attachmentById(c: pg.PoolClient, p: ReturnType<typeof ids>) {
    const { rows } = await c.query<AttachmentRow & { uploaderId: string; objectKey: string }>(
      `SELECT ${COLUMNS}, uploader_id AS "uploaderId", object_key AS "objectKey" FROM hmk.attachments
        WHERE id = $1 AND conversation_id = $2 AND message_id = $3`,
      [p.attachmentId, p.conversationId, p.messageId],
    );
    if (rows.length === 0) throw notFound('attachment not found');
    return rows[0];
  }

  /**
   * Deletes a pending upload that failed its check. Its object is queued for deletion by the row's delete
   * (a trigger), not deleted now: the upload URL may still be valid, and a file PUT after an immediate delete
   * would stay with no row. The retention job deletes it once the URL cannot be used any more.
   */
  async function discard(req: FastifyRequest, attachmentId: string): Promise<void> {
    await withTransaction(deps.pool, async (c) => {
      await beginRequest(c, identityOf(req));
      await c.query("DELETE FROM hmk.attachments WHERE id = $1 AND status = 'pending'", [attachmentId]);
    });
  }

  app.post<{ Params: MessageParams; Body: { contentType: string; sizeBytes: number } }>(
    ATTACHMENTS,
    {
      config: { action: 'attachment.create' },
      schema: {
        summary:
          'Attach a file to my message: returns a presigned upload; PUT the bytes with exactly its headers, then complete',
        params: messageParams,
        body: {
          type: 'object',
          properties: {
            contentType: {
              type: 'string',
              minLength: 3,
              maxLength: 255,
              description: `one of ${allowedTypes.join(', ')}`,
            },
            sizeBytes: { type: 'integer', minimum: 1, description: `at most ${maxBytes}` },
          },
          required: ['contentType', 'sizeBytes'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { ...attachmentProperties, upload: presigned },
            required: [...attachmentRequired, 'upload'],
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { conversationId, messageId } = ids(req.params);
      const contentType = req.body.contentType.toLowerCase();
      const { sizeBytes } = req.body;
      if (!allowedTypes.includes(contentType)) {
        throw new HttpError(400, `body.contentType must be one of ${allowedTypes.join(', ')}`);
      }
      if (sizeBytes > maxBytes) throw new HttpError(400, `body.sizeBytes must be at most ${maxBytes} bytes`);

      const result = await act(req, 201, async (c, who) => {
        await requireParticipant(c, conversationId);
        const { rows: msg } = await c.query<{ sender_id: string }>(
          'SELECT sender_id FROM hmk.messages WHERE id = $1 AND conversation_id = $2',
          [messageId, conversationId],
        );
        if (msg.length === 0) throw notFound('message not found');
        if (msg[0].sender_id !== who.userId)
          throw new HttpError(403, 'only the sender of a message may attach files to it');
        // Retention would delete the row before the upload URL expires, and a file uploaded after that would
        // stay with no row (its object is deleted only after hmk.object_grace(): see migration 007).
        const { rows: soon } = await c.query<{ soon: boolean }>('SELECT hmk.message_expires_soon($1) AS soon', [
          messageId,
        ]);
        if (soon[0].soon) {
          throw new HttpError(
            409,
            'params.messageId: the message expires too soon to attach files (retention deletes it within minutes); attach them to a new message',
          );
        }
        // The key is made of ids only, never of anything the client sent.
        const id = randomUUID();
        const objectKey = `attachments/${conversationId}/${id}`;
        const { rows } = await c.query<AttachmentRow>(
          `INSERT INTO hmk.attachments (id, conversation_id, message_id, uploader_id, object_key, content_type, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [id, conversationId, messageId, who.userId, objectKey, contentType, sizeBytes],
        );
        const upload = await store.presignUpload(objectKey, contentType, sizeBytes);
        return { result: { ...rows[0], upload }, targets: [conversationId, messageId, id] };
      });
      return reply.code(201).send(result);
    },
  );

  app.post<{ Params: AttachmentParams }>(
    `${ATTACHMENTS}/:attachmentId/complete`,
    {
      config: { action: 'attachment.complete' },
      schema: {
        summary:
          'After the upload: checks the stored file has the declared size and type and marks it ready (a mismatch deletes it)',
        params: attachmentParams,
        response: { 200: attachment, ...errorResponses },
      },
    },
    async (req) => {
      const p = ids(req.params);
      try {
        return await act(req, 200, async (c, who) => {
          await requireParticipant(c, p.conversationId);
          const row = await attachmentById(c, p);
          if (row.uploaderId !== who.userId)
            throw new HttpError(403, 'only the sender who attached the file may complete it');
          const { uploaderId: _u, objectKey, ...view } = row;
          const targets = [p.conversationId, p.messageId, row.id];
          if (row.status === 'ready') return { result: view, targets }; // a retried complete
          const stored = await store.head(objectKey);
          if (!stored) {
            throw new HttpError(
              409,
              'the file has not been uploaded: PUT it to upload.url with upload.headers, then complete',
            );
          }
          if (stored.sizeBytes !== row.sizeBytes) {
            throw new UploadMismatch(
              `sizeBytes: the stored file has ${stored.sizeBytes} bytes, not the ${row.sizeBytes} declared`,
            );
          }
          if (stored.contentType !== row.contentType) {
            throw new UploadMismatch(
              `contentType: the stored file is ${stored.contentType || 'untyped'}, not ${row.contentType} as declared`,
            );
          }
          const { rows } = await c.query<AttachmentRow>(
            `UPDATE hmk.attachments SET status = 'ready', completed_at = now() WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
            [row.id],
          );
          if (rows.length) return { result: rows[0], targets };
          // A concurrent complete got there first: answer with what it left.
          const { uploaderId: _u2, objectKey: _k2, ...now } = await attachmentById(c, p);
          return { result: now, targets };
        });
      } catch (err) {
        if (!(err instanceof UploadMismatch)) throw err;
        await discard(req, p.attachmentId!);
        throw new HttpError(409, `${err.message}; the upload was deleted, attach the file again`);
      }
    },
  );

  app.get<{ Params: MessageParams }>(
    ATTACHMENTS,
    {
      config: { action: 'attachment.list' },
      schema: {
        summary: "A message's attachments: ids, types, sizes and status (no names, no URLs)",
        params: messageParams,
        response: { 200: { type: 'array', items: attachment }, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c, who) => {
        const { conversationId, messageId } = ids(req.params);
        await requireReader(c, conversationId);
        const { rows } = await c.query<AttachmentRow>(
          `SELECT ${COLUMNS} FROM hmk.attachments WHERE conversation_id = $1 AND message_id = $2 ORDER BY created_at, id`,
          [conversationId, messageId],
        );
        return {
          result: rows,
          targets: [conversationId, messageId, ...rows.map((r) => r.id)],
          ...(await breakGlassRead(c, who, conversationId, 'attachment.list.break_glass')),
        };
      }),
  );

  app.get<{ Params: AttachmentParams }>(
    `${ATTACHMENTS}/:attachmentId/download`,
    {
      config: { action: 'attachment.download' },
      schema: {
        summary:
          'A presigned download URL for a ready attachment, valid at most 5 minutes (and never past a break-glass grant); each URL issued is audited',
        params: attachmentParams,
        response: { 200: presigned, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c, who) => {
        const p = ids(req.params);
        await requireReader(c, p.conversationId);
        const row = await attachmentById(c, p);
        if (row.status !== 'ready')
          throw new HttpError(409, 'the attachment is not ready: its upload has not been completed');
        const glass = await breakGlassRead(c, who, p.conversationId, 'attachment.download.break_glass');
        return {
          result: await store.presignDownload(
            row.objectKey,
            glass.detail ? await grantEnd(c, String(glass.detail.grantId)) : undefined,
          ),
          targets: [p.conversationId, p.messageId, row.id],
          ...glass,
        };
      }),
  );

  if (store instanceof LocalAttachmentStore) localObjectRoutes(app, store);
}

const tokenQuery = {
  type: 'object',
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' },
  },
  required: ['token'],
  additionalProperties: false,
} as const;

const objectErrors = { 400: errorReply, 403: errorReply, 404: errorReply, 429: errorReply } as const;

/**
 * Local mode only: the URLs the local store "presigns". The token is the credential (as an S3 signature
 * is), so these routes take no bearer token; the store enforces the signed method, type, size and expiry.
 * Issuing the URL was the audited act, as S3 data events are in AWS.
 */
function localObjectRoutes(app: FastifyInstance, store: LocalAttachmentStore): void {
  void app.register(async (scope) => {
    // Raw bytes on these routes only, streamed to disk by the store; the rest of the service stays JSON-only.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));

    scope.put<{ Querystring: { token: string } }>(
      LOCAL_URL_PATH,
      {
        config: { auth: false },
        schema: {
          summary: 'Local mode: upload a file to a URL from POST .../attachments (send exactly its headers)',
          querystring: tokenQuery,
          response: {
            200: { type: 'object', properties: { sizeBytes: { type: 'integer' } }, required: ['sizeBytes'] },
            ...objectErrors,
          },
        },
      },
      async (req) => {
        const sizeBytes = await store.receive(
          req.query.token,
          {
            contentType: req.headers['content-type'],
            contentLength: req.headers['content-length'],
          },
          req.raw,
        );
        return { sizeBytes };
      },
    );

    scope.get<{ Querystring: { token: string } }>(
      LOCAL_URL_PATH,
      {
        config: { auth: false },
        schema: {
          summary: 'Local mode: download a file from a URL from GET .../download',
          querystring: tokenQuery,
          response: { 200: { description: 'the file', type: 'string', format: 'binary' }, ...objectErrors },
        },
      },
      async (req, reply) => {
        const file = await store.open(req.query.token);
        return reply
          .header('content-type', file.contentType)
          .header('content-length', file.sizeBytes)
          .header('content-disposition', 'attachment')
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-store')
          .send(file.stream);
      },
    );
  });
}
