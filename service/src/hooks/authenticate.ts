// Every route needs a token unless it says auth: false (decided by the matched route, not by URL prefix); checked
// before the body is even parsed. Unmatched paths just get the 404. fastify-plugin: the hook must apply to the
// routes of every (encapsulated) route plugin.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenVerifier } from '../auth/verifier.js';

async function authenticate(app: FastifyInstance, { verifyToken }: { verifyToken: TokenVerifier }): Promise<void> {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req) => {
    // 'ticket': the event stream's upgrade checks its one-time ticket itself (routes/events.ts).
    if (req.is404 || req.routeOptions.config?.auth === false || req.routeOptions.config?.auth === 'ticket') return;
    req.identity = await verifyToken(req.headers.authorization);
  });
}

export default fp(authenticate, { name: 'hmk-authenticate' });
