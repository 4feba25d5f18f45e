import type { FastifyInstance } from 'fastify';
import type { RoutePluginOptions } from './context.js';
import { errorResponses, uuid } from './schemas.js';

export async function sessionRoutes(
  app: FastifyInstance,
  { deps, actions: { act } }: RoutePluginOptions,
): Promise<void> {
  app.get(
    '/v1/session',
    {
      config: { action: 'session.read', unregistered: true },
      schema: {
        summary: 'The signed-in user, the warning banner (P15) and the idle timeout (P14)',
        response: {
          200: {
            type: 'object',
            properties: {
              userId: uuid,
              username: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
              banner: { type: 'string' },
              idleTimeoutSeconds: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    (req) =>
      act(req, 200, async (_c, who) => ({
        result: {
          userId: who.userId,
          username: who.username,
          roles: who.roles,
          banner: deps.config.bannerText,
          idleTimeoutSeconds: deps.config.idleTimeoutSeconds,
        },
        targets: [],
      })),
  );
}
