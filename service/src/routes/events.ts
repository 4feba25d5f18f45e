// The event stream: a one-time ticket (POST /v1/events/ticket, bearer token), then GET /v1/events?ticket= upgraded
// to a WebSocket. A browser cannot set Authorization on a WebSocket, and a bearer token must never travel in a URL
// (it would land in the load balancer's access logs), so the URL carries only the ticket: random, stored hashed,
// good once and for at most 60 s, bound to the caller's session. The upgrade request passes the same hooks as every
// other request (rate limit per address, refusal audit through the aggregation) before the socket is opened.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { writeAuditAs } from '../audit/audit.js';
import type { Role } from '../auth/verifier.js';
import { EventHub, type StreamSocket } from '../events/hub.js';
import { HttpError } from '../errors.js';
import { safeError } from '../logger.js';
import { auditEntry, identityOf, type RoutePluginOptions } from './context.js';
import { errorResponses } from './schemas.js';

export const TICKET_SECONDS = 60;

const hashTicket = (ticket: string) => createHash('sha256').update(ticket, 'utf8').digest();

export async function eventRoutes(app: FastifyInstance, { deps, actions: { act } }: RoutePluginOptions): Promise<void> {
  const { pool, config } = deps;
  const hub = deps.events;

  // @fastify/websocket hides its routes from the OpenAPI document; the upgrade is part of the API, so it is shown.
  app.addHook('onRoute', (r) => {
    if (r.url === '/v1/events' && r.schema) r.schema.hide = false;
  });

  app.post(
    '/v1/events/ticket',
    {
      config: { action: 'events.ticket' },
      schema: {
        summary: 'A one-time ticket (valid at most 60 s) for opening the event stream, GET /v1/events?ticket=',
        response: {
          201: {
            type: 'object',
            properties: { ticket: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (!hub) throw new HttpError(404, 'the event stream is not enabled on this service (EVENTS_ENABLED)');
      const ticket = randomBytes(32).toString('base64url');
      const expiresAt = await act(req, 201, async (c, who) => {
        const { rows } = await c.query<{ expires: Date }>('SELECT hmk.issue_event_ticket($1, $2, $3) AS expires', [
          hashTicket(ticket),
          who.sessionId,
          TICKET_SECONDS,
        ]);
        return { result: rows[0].expires, targets: [] };
      });
      return reply.code(201).send({ ticket, expiresAt });
    },
  );

  app.get<{ Querystring: { ticket: string; after?: number } }>(
    '/v1/events',
    {
      websocket: true,
      config: { action: 'events.stream', auth: 'ticket' },
      schema: {
        summary:
          'WebSocket upgrade: the event stream (JSON text frames {id, type, conversationId, at, ...}); after=<event id> ' +
          'replays every event after it first. A used, expired or unknown ticket is a 401 before the upgrade.',
        querystring: {
          type: 'object',
          properties: {
            ticket: { type: 'string', minLength: 1, maxLength: 128 },
            after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
          required: ['ticket'],
          additionalProperties: false,
        },
        response: { 101: { description: 'Switching Protocols', type: 'null' }, ...errorResponses },
      },
      preHandler: async (req) => {
        if (!hub) throw new HttpError(404, 'the event stream is not enabled on this service (EVENTS_ENABLED)');
        // Checked before the ticket is spent, so a plain GET does not waste it.
        if (!req.ws) throw new HttpError(426, 'GET /v1/events must be a WebSocket upgrade');
        const { rows } = await pool.query<{ user_id: string; session_id: string; roles: Role[] }>(
          'SELECT * FROM hmk.use_event_ticket($1)',
          [hashTicket(req.query.ticket)],
        );
        if (rows.length === 0) throw new HttpError(401, 'event ticket unknown, used or expired: request a new one');
        const t = rows[0];
        req.identity = { userId: t.user_id, sessionId: t.session_id, roles: t.roles, username: '' };
        if (!hub.reserve(t.user_id, config.events.maxSocketsPerUser)) {
          throw new HttpError(
            429,
            `at most ${config.events.maxSocketsPerUser} open event streams per user (EVENTS_MAX_SOCKETS_PER_USER)`,
          );
        }
        // The session must still be live (idle logoff, closed account) when the socket opens.
        try {
          await pool.query('SELECT hmk.stream_events($1, $2, $3, 0, 0)', [t.user_id, t.session_id, t.roles]);
        } catch (err) {
          hub.release(t.user_id);
          throw err;
        }
      },
    },
    async (socket, req) => {
      const who = identityOf(req);
      const entry = auditEntry(req, 101, []);
      const { rows } = await pool.query<{ last: string }>('SELECT hmk.last_event_id($1) AS last', [who.userId]);
      const s: StreamSocket = {
        userId: who.userId,
        sessionId: who.sessionId,
        roles: who.roles,
        lastId: req.query.after !== undefined ? String(req.query.after) : rows[0].last,
        ws: socket,
        reading: false,
        readAgain: false,
        origin: { ip: entry.ip, userAgent: entry.userAgent, requestId: entry.requestId },
      };
      await writeAuditAs(pool, { ...entry, detail: { after: Number(s.lastId) } }, who.userId);
      req.audited = true;
      hub!.add(s);
      // The client sends nothing the server acts on; anything it sends is ignored (the socket is receive-only).
      socket.on('error', (err) => req.log.warn({ err: safeError(err) }, 'event socket error'));
    },
  );
}

export { EventHub };
