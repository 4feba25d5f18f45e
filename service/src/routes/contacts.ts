// The de-identified directory (P06). Enterprise mode lists and searches it; public mode only
// answers exact-username lookups, as in HIPAAGRAM. Closed accounts are left out of both.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Identity } from '../auth/verifier.js';
import { HttpError } from '../errors.js';
import type { RoutePluginOptions } from './context.js';
import { contact, errorResponses, plainText, wellFormed } from './schemas.js';

const CONTACT_COLUMNS = 'id, username, display_name AS "displayName"';

/** The directory role shown for a user with several groups. */
export function primaryRole(who: Identity): string {
  return ['clinician', 'admin', 'auditor', 'member'].find((r) => (who.roles as string[]).includes(r)) ?? 'member';
}

/** Holds no role but member (a patient): the one MEMBERS_CLINICIANS_ONLY limits. */
export function isPatientOnly(who: Identity): boolean {
  return who.roles.every((r) => r === 'member');
}

/** 403 unless every other participant is a clinician (hmk.create_conversation checks again). */
export async function assertCliniciansOnly(c: pg.PoolClient, who: Identity, participantIds: string[]): Promise<void> {
  const { rowCount } = await c.query(
    "SELECT 1 FROM hmk.contacts WHERE id = ANY ($1::uuid[]) AND id <> $2 AND role <> 'clinician' LIMIT 1",
    [participantIds, who.userId],
  );
  if (rowCount) {
    throw new HttpError(
      403,
      'body.participantIds must name clinicians only: members may start conversations only with clinicians',
    );
  }
}

/** Makes sure the caller has a directory entry (participants and keys refer to it). */
export async function ensureContact(c: pg.PoolClient, who: Identity): Promise<void> {
  await c.query('INSERT INTO hmk.contacts (id, username, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    who.userId,
    who.username,
    primaryRole(who),
  ]);
}

export async function contactRoutes(
  app: FastifyInstance,
  { deps, actions: { act } }: RoutePluginOptions,
): Promise<void> {
  app.put<{ Body: { displayName?: string | null } }>(
    '/v1/contacts/me',
    {
      config: { action: 'contact.upsert', unregistered: true },
      schema: {
        summary: 'Register or update my directory entry (the username comes from the token)',
        body: {
          type: 'object',
          properties: { displayName: { anyOf: [plainText(100), { type: 'null' }] } },
          additionalProperties: false,
        },
        response: { 200: contact, ...errorResponses },
      },
    },
    (req) => {
      const displayName = req.body?.displayName;
      if (typeof displayName === 'string' && !wellFormed(displayName)) {
        throw new HttpError(400, 'body.displayName must be well-formed Unicode');
      }
      return act(req, 200, async (c, who) => {
        const { rows } = await c.query(
          `INSERT INTO hmk.contacts AS t (id, username, display_name, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, role = excluded.role, updated_at = now(),
           display_name = CASE WHEN $5 THEN excluded.display_name ELSE t.display_name END
         RETURNING ${CONTACT_COLUMNS}`,
          [who.userId, who.username, displayName ?? null, primaryRole(who), displayName !== undefined],
        );
        return { result: rows[0], targets: [who.userId] };
      });
    },
  );

  app.get<{ Querystring: { username?: string; q?: string; limit: number } }>(
    '/v1/contacts',
    {
      config: { action: 'contact.lookup' },
      schema: {
        summary: 'Exact-username lookup (both modes), or list/search the directory (enterprise mode only)',
        querystring: {
          type: 'object',
          properties: {
            username: plainText(128),
            q: plainText(64),
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'array', items: contact }, ...errorResponses },
      },
    },
    (req) => {
      const { username, q, limit } = req.query;
      if (username === undefined && deps.config.directoryMode === 'public') {
        throw new HttpError(403, 'the directory cannot be listed in public mode; look up an exact username');
      }
      return act(req, 200, async (c) => {
        const { rows } =
          username !== undefined
            ? await c.query(`SELECT ${CONTACT_COLUMNS} FROM hmk.contacts WHERE username = $1 AND closed_at IS NULL`, [
                username,
              ])
            : await c.query(
                `SELECT ${CONTACT_COLUMNS} FROM hmk.contacts
            WHERE closed_at IS NULL AND ($1::text IS NULL OR username ILIKE $1 || '%' OR display_name ILIKE $1 || '%')
            ORDER BY username LIMIT $2`,
                [q === undefined ? null : q.replace(/[\\%_]/g, (m) => `\\${m}`), limit],
              );
        return { result: rows, targets: rows.map((r) => r.id as string) };
      });
    },
  );
}
