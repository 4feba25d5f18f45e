// Public-key directory for end-to-end conversations: users publish their key and look up others'.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.js';
import type { RoutePluginOptions } from './context.js';
import { ensureContact } from './contacts.js';
import { errorResponses, uuid } from './schemas.js';

const publicKey = {
  type: 'object',
  properties: { userId: uuid, publicKey: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' } },
} as const;
const KEY_COLUMNS = 'user_id AS "userId", public_key AS "publicKey", updated_at AS "updatedAt"';

export async function keyRoutes(app: FastifyInstance, { actions: { act } }: RoutePluginOptions): Promise<void> {
  app.put<{ Body: { publicKey: string } }>(
    '/v1/keys/me',
    {
      config: { action: 'key.publish' },
      schema: {
        summary: 'Publish my public key',
        body: {
          type: 'object',
          // PEM, base64 or JWK JSON: printable ASCII plus line breaks.
          properties: {
            publicKey: { type: 'string', minLength: 16, maxLength: 8192, pattern: '^[\\x20-\\x7e\\r\\n]+$' },
          },
          required: ['publicKey'],
          additionalProperties: false,
        },
        response: { 200: publicKey, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c, who) => {
        await ensureContact(c, who);
        const { rows } = await c.query(
          `INSERT INTO hmk.public_keys (user_id, public_key) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET public_key = excluded.public_key, updated_at = now()
       RETURNING ${KEY_COLUMNS}`,
          [who.userId, req.body.publicKey],
        );
        return { result: rows[0], targets: [who.userId] };
      }),
  );

  app.get<{ Params: { userId: string } }>(
    '/v1/keys/:userId',
    {
      config: { action: 'key.lookup' },
      schema: {
        summary: "Look up a user's public key",
        params: { type: 'object', properties: { userId: uuid }, required: ['userId'], additionalProperties: false },
        response: { 200: publicKey, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        const { rows } = await c.query(`SELECT ${KEY_COLUMNS} FROM hmk.public_keys WHERE user_id = $1`, [
          req.params.userId,
        ]);
        if (rows.length === 0) throw notFound('no public key for this user');
        return { result: rows[0], targets: [req.params.userId] };
      }),
  );
}
