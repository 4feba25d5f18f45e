// What every route shares: the dependencies, and `act`, which runs an action for the signed-in
// user in one transaction with the idle-logoff check and the audit row (P03): if the audit write
// fails, the action fails with it.
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { outcomeFor, writeAudit, writeAuditAs, type AuditEntry } from '../audit/audit.js';
import type { RefusalAggregator } from '../audit/refusals.js';
import type { Identity, Role, TokenVerifier } from '../auth/verifier.js';
import type { AttachmentStore } from '../attachments/types.js';
import type { Config } from '../config.js';
import type { Envelope } from '../crypto/envelope.js';
import type { EventHub } from '../events/hub.js';
import { withTransaction } from '../db/pool.js';
import { HttpError } from '../errors.js';
import type { Notifier } from '../notify/types.js';
import type { PushGateway } from '../push/types.js';

export interface AppDeps {
  config: Config;
  pool: pg.Pool;
  verifyToken: TokenVerifier;
  envelope: Envelope;
  push: PushGateway;
  /** Break-glass notices to the organisation contact (ops topic). */
  notifier: Notifier;
  /** Attachment files: the PHI bucket (presigned URLs), or a local directory. */
  attachments: AttachmentStore;
  /** Told after each send so pushes go out promptly; the outbox is the source of truth. */
  onMessageSent?: () => void;
  /** Repeated refusals from one source, audited as one counted row per window. */
  refusals: RefusalAggregator;
  /** The event stream's sockets on this instance (undefined when EVENTS_ENABLED=false). */
  events?: EventHub;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
    audited: boolean;
  }
  interface FastifyContextConfig {
    /** Audit action name, e.g. "message.send". */
    action?: string;
    /** true for the routes a signed-in user not yet in the directory may call (register, read the session). */
    unregistered?: boolean;
    /** false for the few routes that need no token (health, OpenAPI); 'ticket' for the event stream's upgrade, which
     *  checks a one-time ticket itself (a refusal is still audited). */
    auth?: boolean | 'ticket';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function identityOf(req: FastifyRequest): Identity {
  if (!req.identity) throw new Error('route requires authentication');
  return req.identity;
}

/** What an action hands back to `act`: its result, the ids it touched, and optionally how to audit it. */
export interface ActionOutcome<T> {
  result: T;
  targets: string[];
  /** Overrides the route's action name, e.g. a read made under break-glass. */
  action?: string;
  severity?: AuditEntry['severity'];
  detail?: AuditEntry['detail'];
}

/** 403 unless the caller holds one of `roles` (the database checks again with hmk.has_role). */
export function requireRole(req: FastifyRequest, ...roles: Role[]): Identity {
  const who = identityOf(req);
  if (!roles.some((r) => who.roles.includes(r))) {
    throw new HttpError(403, `requires the ${roles.join(' or ')} role`);
  }
  return who;
}

export function auditEntry(req: FastifyRequest, status: number, targets: string[]): AuditEntry {
  return {
    action: req.routeOptions.config?.action ?? 'unknown',
    // Clients may send upper-case uuids (iOS does); the trail keeps one form so reports find every row.
    targets: targets.map((t) => (UUID.test(t) ? t.toLowerCase() : t)),
    // A junk X-Forwarded-For (from a trusted proxy) or a NUL in the user agent must never cost the audit row:
    // the row is written with the socket address and a cleaned agent instead.
    ip: isIP(req.ip) ? req.ip : req.socket.remoteAddress,
    userAgent: req.headers['user-agent']?.replaceAll('\u0000', '').slice(0, 256),
    outcome: outcomeFor(status),
    status,
    requestId: req.id,
  };
}

/** Ids named in the path, when they are well-formed (junk is never written to the audit log). */
function pathTargets(req: FastifyRequest): string[] {
  const params = (req.params ?? {}) as Record<string, unknown>;
  return Object.values(params).filter((v): v is string => typeof v === 'string' && UUID.test(v));
}

export function createActions(deps: AppDeps) {
  const idle = deps.config.idleTimeoutSeconds;

  /**
   * Opens the request transaction: sets the acting user and roles, and refuses idle sessions, closed accounts and
   * (unless `unregisteredOk`) users not in the directory yet.
   */
  async function beginRequest(c: pg.PoolClient, who: Identity, unregisteredOk = false): Promise<void> {
    await c.query('SELECT hmk.begin_request($1, $2, $3, $4, $5)', [
      who.userId,
      who.sessionId,
      idle,
      who.roles,
      unregisteredOk,
    ]);
  }

  async function act<T>(
    req: FastifyRequest,
    status: number,
    fn: (c: pg.PoolClient, who: Identity) => Promise<ActionOutcome<T>>,
  ): Promise<T> {
    const who = identityOf(req);
    const result = await withTransaction(deps.pool, async (c) => {
      await beginRequest(c, who, req.routeOptions.config?.unregistered === true);
      const out = await fn(c, who);
      const entry = auditEntry(req, status, out.targets);
      await writeAudit(c, {
        ...entry,
        action: out.action ?? entry.action,
        ...(out.severity ? { severity: out.severity } : {}),
        ...(out.detail ? { detail: out.detail } : {}),
      });
      return out.result;
    });
    req.audited = true;
    return result;
  }

  /** Audit row for a refused or failed request (its own transaction; the action was rolled back). */
  async function recordFailure(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const entry = auditEntry(req, reply.statusCode, pathTargets(req));
    const userId = req.identity?.userId;
    // Refusals anyone can cause in bulk (no credentials, or over the rate limit) are aggregated per source.
    if (!userId || reply.statusCode === 429) {
      const source = userId ? { key: `user:${userId}`, userId } : { key: `ip:${entry.ip ?? 'unknown'}` };
      if (!deps.refusals.record(source, entry)) return;
    }
    await writeAuditAs(deps.pool, entry, userId);
  }

  return { act, beginRequest, recordFailure };
}

export type Actions = ReturnType<typeof createActions>;

/** What every route plugin is registered with (app.register(routes, { deps, actions })). */
export interface RoutePluginOptions {
  deps: AppDeps;
  actions: Actions;
}
