// Directory administration (P07): the admin role manages directory entries in enterprise mode (in public
// mode there is no managed directory). Admins gain no access to conversations through it; the
// database checks the role again (hmk.admin_set_display_name, hmk.close_account).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { HttpError, notFound } from '../errors.js';
import { requireRole, type RoutePluginOptions } from './context.js';
import { contact, errorResponses, idParams, plainText, uuid, wellFormed } from './schemas.js';

/** 404 for an unknown entry, 409 for a closed one (the database refuses both too, less legibly). */
async function assertOpenContact(c: pg.PoolClient, id: string): Promise<void> {
  const { rows } = await c.query<{ closed: boolean }>(
    'SELECT closed_at IS NOT NULL AS closed FROM hmk.contacts WHERE id = $1',
    [id],
  );
  if (rows.length === 0) throw notFound('contact not found');
  if (rows[0].closed) throw new HttpError(409, 'this account is closed; its directory entry can no longer change');
}

export async function directoryAdminRoutes(
  app: FastifyInstance,
  { deps, actions: { act } }: RoutePluginOptions,
): Promise<void> {
  function requireAdmin(req: FastifyRequest) {
    const who = requireRole(req, 'admin');
    if (deps.config.directoryMode !== 'enterprise') {
      throw new HttpError(403, 'the directory is managed only in enterprise mode (DIRECTORY_MODE=enterprise)');
    }
    return who;
  }

  app.patch<{ Params: { id: string }; Body: { displayName: string | null } }>(
    '/v1/contacts/:id',
    {
      config: { action: 'contact.admin_update' },
      schema: {
        summary: "Correct a directory entry's display name (admin, enterprise mode)",
        params: idParams,
        body: {
          type: 'object',
          properties: { displayName: { anyOf: [plainText(100), { type: 'null' }] } },
          required: ['displayName'],
          additionalProperties: false,
        },
        response: { 200: contact, ...errorResponses },
      },
    },
    (req) => {
      requireAdmin(req);
      const { displayName } = req.body;
      if (typeof displayName === 'string' && !wellFormed(displayName)) {
        throw new HttpError(400, 'body.displayName must be well-formed Unicode');
      }
      const id = req.params.id.toLowerCase();
      return act(req, 200, async (c) => {
        await assertOpenContact(c, id);
        const { rows } = await c.query(
          'SELECT id, username, display_name AS "displayName" FROM hmk.admin_set_display_name($1, $2)',
          [id, displayName],
        );
        return { result: rows[0], targets: [id] };
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/contacts/:id/close',
    {
      config: { action: 'contact.close' },
      schema: {
        summary:
          'Close an account (admin, enterprise mode): de-identify its directory entry, remove its devices and key, refuse its tokens; messages are kept',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: uuid,
              username: { type: 'string' },
              displayName: { type: 'null' },
              closedAt: { type: 'string', format: 'date-time' },
            },
            required: ['id', 'username', 'displayName', 'closedAt'],
          },
          ...errorResponses,
        },
      },
    },
    (req) => {
      const who = requireAdmin(req);
      const id = req.params.id.toLowerCase();
      // An admin locking themself out would leave the directory with one admin fewer and no one to notice.
      if (id === who.userId)
        throw new HttpError(409, 'params.id: you cannot close your own account; ask another admin');
      return act(req, 200, async (c) => {
        await assertOpenContact(c, id);
        const { rows } = await c.query<{ username: string; closed_at: Date; devices_removed: number }>(
          'SELECT username, closed_at, devices_removed FROM hmk.close_account($1)',
          [id],
        );
        const r = rows[0];
        return {
          result: { id, username: r.username, displayName: null, closedAt: r.closed_at },
          targets: [id],
          severity: 'high',
          detail: { devicesRemoved: r.devices_removed },
        };
      });
    },
  );
}
