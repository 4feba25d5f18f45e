// The two routes that take no token: the load balancer's health check and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { RoutePluginOptions } from './context.js';

export async function healthRoutes(app: FastifyInstance, { deps }: RoutePluginOptions): Promise<void> {
  app.get(
    '/health',
    {
      config: { auth: false, rateLimit: false },
      schema: { hide: true },
    },
    async (_req, reply) => {
      try {
        await deps.pool.query('SELECT 1');
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable' });
      }
    },
  );
  app.get('/v1/openapi.json', { config: { auth: false }, schema: { hide: true } }, async () => app.swagger());
}
