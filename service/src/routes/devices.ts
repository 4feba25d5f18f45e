// Push device registration. The SNS endpoint ARN is stored server side and never returned.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../push/types.js';
import { withTransaction } from '../db/pool.js';
import { identityOf, type RoutePluginOptions } from './context.js';
import { ensureContact } from './contacts.js';
import { errorResponses, uuid } from './schemas.js';

const device = {
  type: 'object',
  properties: { id: uuid, platform: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
} as const;

export async function deviceRoutes(
  app: FastifyInstance,
  { deps, actions: { act, beginRequest } }: RoutePluginOptions,
): Promise<void> {
  app.post<{ Body: { platform: Platform; token: string } }>(
    '/v1/devices',
    {
      config: { action: 'device.register' },
      schema: {
        summary: 'Register this device for push (creates or refreshes its SNS platform endpoint)',
        body: {
          type: 'object',
          properties: {
            platform: { type: 'string', enum: ['apns', 'fcm'] },
            token: { type: 'string', minLength: 8, maxLength: 4096, pattern: '^[A-Za-z0-9_:.\\-]+$' },
          },
          required: ['platform', 'token'],
          additionalProperties: false,
        },
        response: { 201: device, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { platform, token } = req.body;
      // Idle logoff first: a refused session must not create or re-enable an SNS endpoint.
      await withTransaction(deps.pool, (c) => beginRequest(c, identityOf(req)));
      const endpointArn = await deps.push.registerEndpoint(platform, token);
      const tokenHash = createHash('sha256').update(`${platform}:${token}`).digest();
      const result = await act(req, 201, async (c, who) => {
        await ensureContact(c, who);
        const { rows } = await c.query('SELECT hmk.register_device($1, $2, $3) AS id', [
          platform,
          tokenHash,
          endpointArn,
        ]);
        const { rows: view } = await c.query(
          'SELECT id, platform, created_at AS "createdAt" FROM hmk.devices WHERE id = $1',
          [rows[0].id],
        );
        return { result: view[0], targets: [rows[0].id] };
      });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/v1/devices',
    {
      config: { action: 'device.list' },
      schema: {
        summary: 'My registered devices',
        response: { 200: { type: 'array', items: device }, ...errorResponses },
      },
    },
    (req) =>
      act(req, 200, async (c) => {
        const { rows } = await c.query(
          'SELECT id, platform, created_at AS "createdAt" FROM hmk.devices ORDER BY created_at',
        );
        return { result: rows, targets: rows.map((r) => r.id as string) };
      }),
  );
}
