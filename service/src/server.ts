// The HTTP server: validation, authentication, idle logoff, audit of every /v1 request, errors.
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { toErrorReply } from './errors.js';
import { safeError } from './logger.js';
import { attachmentRoutes } from './routes/attachments.js';
import { auditRoutes } from './routes/audit.js';
import { createActions, type AppDeps } from './routes/context.js';
import { breakGlassRoutes } from './routes/break-glass.js';
import { contactRoutes } from './routes/contacts.js';
import { conversationRoutes } from './routes/conversations.js';
import { deviceRoutes } from './routes/devices.js';
import { directoryAdminRoutes } from './routes/directory-admin.js';
import { keyRoutes } from './routes/keys.js';
import { messageRoutes } from './routes/messages.js';
import { patientRoutes } from './routes/patients.js';
import { retentionRoutes } from './routes/retention.js';
import { sessionRoutes } from './routes/session.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Bodies are validated strictly (no type coercion, extra fields refused); query strings and path
 *  parameters are text on the wire, so they are coerced. */
function validators() {
  const common = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const strict = new Ajv({ ...common, coerceTypes: false });
  const coercing = new Ajv({ ...common, coerceTypes: true });
  addFormats(strict);
  addFormats(coercing);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

export interface RouteEntry {
  method: string;
  url: string;
  auth: boolean;
  action: string | undefined;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export async function buildServer(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify's own request lines include the URL; ours (onResponse below) log the route pattern only.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    // Room for a maximum-size body written with JSON escapes; the exact limit is checked per route.
    bodyLimit: config.maxMessageBytes * 6 + 16_384,
    keepAliveTimeout: 75_000, // longer than the ALB idle timeout (60 s)
    return503OnClosing: true,
    // Router-level failures (e.g. an over-long path parameter) get the same {error, message} shape.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toErrorReply(err);
      void (reply as FastifyReply).code(status).send(body);
    },
  });
  // JSON only: anything else is a 415 rather than a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validators());
  app.decorateRequest('identity', null);
  app.decorateRequest('audited', false);
  // Every route as registered, so a test can hold the OpenAPI document and the role matrix to all of them.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    // A route that declares no query parameters refuses any (a typo like ?limt=5 is a 400, not silently ignored).
    if (r.url.startsWith('/v1/') && !r.schema?.hide && !r.schema?.querystring) {
      r.schema = { ...r.schema, querystring: { type: 'object', properties: {}, additionalProperties: false } };
    }
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') routeTable.push({
        method, url: r.url, auth: r.config?.auth !== false, action: r.config?.action, hidden: r.schema?.hide === true,
      });
    }
  });

  const actions = createActions(deps);

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorReply(err);
    if (status >= 500) req.log.error({ err: safeError(err) }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not_found', message: 'not found' }));

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'too_many_requests',
      message: `rate limit exceeded, retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'HIPAA Messaging Kit - messaging service', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });

  // Every route needs a token unless it says auth: false (decided by the matched route, not by URL
  // prefix); checked before the body is even parsed. Unmatched paths just get the 404.
  app.addHook('onRequest', async (req) => {
    if (req.is404 || req.routeOptions.config?.auth === false) return;
    req.identity = await deps.verifyToken(req.headers.authorization);
  });

  // A refused or failed request still gets its audit row (e.g. refused sign-ins), before the reply leaves.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && !req.audited && req.url.startsWith('/v1/') && req.routeOptions.config?.auth !== false) {
      req.audited = true;
      await actions.recordFailure(req, reply).catch((err) => req.log.error({ err: safeError(err) }, 'audit write failed'));
    }
    return payload;
  });

  // One log line per request: never the URL's query string, headers or body.
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    }, 'request');
  });

  app.get('/health', {
    config: { auth: false, rateLimit: false },
    schema: { hide: true },
  }, async (_req, reply) => {
    try {
      await deps.pool.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  app.get('/v1/openapi.json', { config: { auth: false }, schema: { hide: true } }, async () => app.swagger());

  for (const routes of [sessionRoutes, contactRoutes, conversationRoutes, messageRoutes, deviceRoutes, keyRoutes, attachmentRoutes,
    breakGlassRoutes, directoryAdminRoutes, patientRoutes, auditRoutes, retentionRoutes]) {
    routes(app, deps, actions);
  }
  return app;
}
