// One log line per request: never the URL's query string, headers or body (the route pattern, not the URL).
// fastify-plugin: the hook must apply to every route and the 404 handler.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function requestLog(app: FastifyInstance): Promise<void> {
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
}

export default fp(requestLog, { name: 'hmk-request-log' });
