// The HTTP server: Fastify options, validation, errors, then the hook plugins (src/hooks) and the route plugins
// (src/routes), registered with app.register in the order they run.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { HttpError, toErrorReply } from './errors.js';
import auditFailures from './hooks/audit-failures.js';
import authenticate from './hooks/authenticate.js';
import { rateLimitByAddress, rateLimitByUser } from './hooks/rate-limit.js';
import requestLog from './hooks/request-log.js';
import routeTable from './hooks/route-table.js';
import transport from './hooks/transport.js';
import { safeError } from './logger.js';
import { attachmentRoutes } from './routes/attachments.js';
import { auditRoutes } from './routes/audit.js';
import { createActions, type AppDeps } from './routes/context.js';
import { breakGlassRoutes } from './routes/break-glass.js';
import { contactRoutes } from './routes/contacts.js';
import { conversationRoutes } from './routes/conversations.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { directoryAdminRoutes } from './routes/directory-admin.js';
import { healthRoutes } from './routes/health.js';
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
    // A client that dribbles its headers or body is cut off (Node answers 408 and closes the connection), so slow
    // connections cannot hold sockets open. Node checks these every connectionsCheckingInterval.
    requestTimeout: config.requestTimeoutSeconds * 1000,
    http: {
      headersTimeout: config.headersTimeoutSeconds * 1000,
      requestTimeout: config.requestTimeoutSeconds * 1000,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutSeconds * 500),
    },
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

  const actions = createActions(deps);

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorReply(err);
    if (status >= 500) req.log.error({ err: safeError(err) }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not_found', message: 'not found' }));

  // Hooks that apply to every route (fastify-plugin, so they reach into the encapsulated route plugins), in the
  // order they run: route table (at registration), rate limit per address, authentication, rate limit per user,
  // failure audit, request log.
  const limits = {
    perAddressPerMinute: config.rateLimitPerAddressPerMinute,
    perUserPerMinute: config.rateLimitPerMinute,
  };
  await app.register(routeTable);
  await app.register(rateLimitByAddress, limits);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'HIPAA Messaging Kit - messaging service', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(authenticate, { verifyToken: deps.verifyToken });
  await app.register(rateLimitByUser, limits);
  await app.register(auditFailures, { recordFailure: actions.recordFailure });
  await app.register(requestLog);
  await app.register(transport);

  // WebSocket upgrades are routed through Fastify like any request, so every hook above runs before a socket opens.
  // Clients send nothing the stream acts on, so frames from them are kept tiny.
  await app.register(websocket, {
    options: { maxPayload: 1024 },
    errorHandler: (err, socket, req) => {
      req.log.error({ err: safeError(err) }, 'event stream failed');
      socket.close(1011, 'event stream failed: reconnect with after=');
    },
  });

  // An upgrade to any other route is refused here, before @fastify/websocket would close it and log its URL.
  app.addHook('onRequest', async (req) => {
    if (req.ws && !req.is404 && req.routeOptions.url !== '/v1/events') {
      throw new HttpError(400, 'only GET /v1/events upgrades to a WebSocket');
    }
  });

  // Route plugins: each an encapsulated context with the shared dependencies and actions.
  const opts = { deps, actions };
  for (const routes of [
    healthRoutes,
    sessionRoutes,
    contactRoutes,
    conversationRoutes,
    messageRoutes,
    eventRoutes,
    deviceRoutes,
    keyRoutes,
    attachmentRoutes,
    breakGlassRoutes,
    directoryAdminRoutes,
    patientRoutes,
    auditRoutes,
    retentionRoutes,
  ]) {
    await app.register(routes, opts);
  }
  return app;
}
