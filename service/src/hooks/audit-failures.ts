// A refused or failed /v1 request still gets its audit row (e.g. refused sign-ins), before the reply leaves.
// Successful requests are audited inside their own transaction (routes/context.ts `act`), which sets req.audited.
// fastify-plugin: the hook must apply to the routes of every (encapsulated) route plugin, and to the 404 handler.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { safeError } from '../logger.js';

export interface AuditFailuresOptions {
  recordFailure(req: FastifyRequest, reply: FastifyReply): Promise<void>;
}

async function auditFailures(app: FastifyInstance, { recordFailure }: AuditFailuresOptions): Promise<void> {
  app.decorateRequest('audited', false);
  app.addHook('onSend', async (req, reply, payload) => {
    if (
      reply.statusCode >= 400 &&
      !req.audited &&
      req.url.startsWith('/v1/') &&
      req.routeOptions.config?.auth !== false
    ) {
      req.audited = true;
      await recordFailure(req, reply).catch((err) => req.log.error({ err: safeError(err) }, 'audit write failed'));
    }
    return payload;
  });
}

export default fp(auditFailures, { name: 'hmk-audit-failures' });
