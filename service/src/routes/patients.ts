// Patient profiles (P04, P05, P06): PHI about a member (MRN, date of birth) kept apart from the
// directory in hmk.patient_profiles, each field sealed on its own with envelope encryption under the
// context `patient:<memberId>`. Replies say only which fields are present; values come back only from
// the explicit reveal, which takes a reason (kept in hmk.patient_reveals, not in the audit row) and is
// a high-severity audit entry. Who may: the member, and clinicians who share a conversation with them
// (hmk.can_access_patient, also the RLS policy); everyone else gets 404.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { SealedBody } from '../crypto/envelope.js';
import { HttpError, notFound } from '../errors.js';
import type { RoutePluginOptions } from './context.js';
import { errorResponses, plainText, requireReason, uuid, wellFormed } from './schemas.js';

const FIELDS = ['mrn', 'dateOfBirth'] as const;
type Field = (typeof FIELDS)[number];
type Values = Partial<Record<Field, string>>;

const MIN_REASON = 10;
const DATE = '^\\d{4}-\\d{2}-\\d{2}$';

const params = {
  type: 'object',
  properties: { memberId: uuid },
  required: ['memberId'],
  additionalProperties: false,
} as const;

/** Presence only: never a value. */
const presence = {
  type: 'object',
  properties: {
    memberId: uuid,
    present: { type: 'array', items: { type: 'string', enum: FIELDS } },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['memberId', 'present', 'updatedAt'],
} as const;

const contextOf = (memberId: string) => `patient:${memberId}`;

/** A real calendar date from 1900 up to today (UTC; a newborn's is today). */
function isPastDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(d.getTime()) &&
    d.toISOString().slice(0, 10) === value &&
    value >= '1900-01-01' &&
    value <= new Date().toISOString().slice(0, 10)
  );
}

async function assertCare(c: pg.PoolClient, memberId: string): Promise<void> {
  const { rows } = await c.query<{ ok: boolean }>('SELECT hmk.can_access_patient($1) AS ok', [memberId]);
  if (!rows[0].ok) throw notFound('patient not found');
}

async function presenceOf(c: pg.PoolClient, memberId: string) {
  const { rows } = await c.query<{ field: Field; updated_at: Date }>(
    'SELECT field, updated_at FROM hmk.patient_profiles WHERE member_id = $1 ORDER BY field',
    [memberId],
  );
  const latest = rows.reduce<Date | null>((m, r) => (m && m > r.updated_at ? m : r.updated_at), null);
  return { memberId, present: rows.map((r) => r.field), updatedAt: latest };
}

export async function patientRoutes(
  app: FastifyInstance,
  { deps, actions: { act } }: RoutePluginOptions,
): Promise<void> {
  const { envelope } = deps;

  app.get<{ Params: { memberId: string } }>(
    '/v1/patients/:memberId/profile',
    {
      config: { action: 'patient.profile.read' },
      schema: {
        summary: "Which fields of a member's patient profile are present (never their values)",
        params,
        response: { 200: presence, ...errorResponses },
      },
    },
    (req) => {
      const memberId = req.params.memberId.toLowerCase();
      return act(req, 200, async (c) => {
        await assertCare(c, memberId);
        return { result: await presenceOf(c, memberId), targets: [memberId] };
      });
    },
  );

  app.put<{ Params: { memberId: string }; Body: Values }>(
    '/v1/patients/:memberId/profile',
    {
      config: { action: 'patient.profile.update' },
      schema: {
        summary: "Set fields of a member's patient profile (the member, or a clinician caring for them)",
        params,
        body: {
          type: 'object',
          properties: {
            mrn: plainText(64),
            dateOfBirth: { type: 'string', pattern: DATE },
          },
          minProperties: 1,
          additionalProperties: false,
        },
        response: { 200: presence, ...errorResponses },
      },
    },
    (req) => {
      const memberId = req.params.memberId.toLowerCase();
      const values = req.body;
      if (values.mrn !== undefined && (!wellFormed(values.mrn) || values.mrn.trim() === '')) {
        throw new HttpError(400, 'body.mrn must be non-blank, well-formed text');
      }
      if (values.dateOfBirth !== undefined && !isPastDate(values.dateOfBirth)) {
        throw new HttpError(400, 'body.dateOfBirth must be a real past date, YYYY-MM-DD, from 1900 on');
      }
      const fields = FIELDS.filter((f) => values[f] !== undefined);
      return act(req, 200, async (c, who) => {
        await assertCare(c, memberId);
        for (const field of fields) {
          const sealed = await envelope.seal(contextOf(memberId), values[field]!);
          await c.query(
            `INSERT INTO hmk.patient_profiles (member_id, field, key_id, encrypted_key, iv, ciphertext, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (member_id, field) DO UPDATE
             SET key_id = excluded.key_id, encrypted_key = excluded.encrypted_key, iv = excluded.iv,
                 ciphertext = excluded.ciphertext, updated_by = excluded.updated_by, updated_at = now()`,
            [memberId, field, sealed.keyId, sealed.encryptedKey, sealed.iv, sealed.ciphertext, who.userId],
          );
        }
        return { result: await presenceOf(c, memberId), targets: [memberId], detail: { fields } };
      });
    },
  );

  app.post<{ Params: { memberId: string }; Body: { reason: string; fields?: Field[] } }>(
    '/v1/patients/:memberId/profile/reveal',
    {
      config: { action: 'patient.reveal' },
      schema: {
        summary: `Reveal patient profile values, stating a reason of at least ${MIN_REASON} characters (audited)`,
        params,
        body: {
          type: 'object',
          properties: {
            reason: { ...plainText(2000), minLength: MIN_REASON },
            fields: { type: 'array', items: { type: 'string', enum: FIELDS }, minItems: 1, uniqueItems: true },
          },
          required: ['reason'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { memberId: uuid, mrn: { type: 'string' }, dateOfBirth: { type: 'string' } },
            required: ['memberId'],
          },
          ...errorResponses,
        },
      },
    },
    (req) => {
      const memberId = req.params.memberId.toLowerCase();
      const { reason, fields = [...FIELDS] } = req.body;
      requireReason('body.reason', reason, MIN_REASON, 'why the values are needed');
      return act(req, 200, async (c, who) => {
        await assertCare(c, memberId);
        const { rows } = await c.query<{
          field: Field;
          key_id: string;
          encrypted_key: Buffer;
          iv: Buffer;
          ciphertext: Buffer;
        }>(
          `SELECT field, key_id, encrypted_key, iv, ciphertext FROM hmk.patient_profiles
          WHERE member_id = $1 AND field = ANY ($2::text[]) ORDER BY field`,
          [memberId, fields],
        );
        const revealed = rows.map((r) => r.field);
        await c.query(
          'INSERT INTO hmk.patient_reveals (member_id, user_id, fields, reason, request_id) VALUES ($1, $2, $3, $4, $5)',
          [memberId, who.userId, revealed, reason, req.id],
        );
        const result: Values & { memberId: string } = { memberId };
        for (const r of rows) {
          const sealed: SealedBody = {
            keyId: r.key_id,
            encryptedKey: r.encrypted_key,
            iv: r.iv,
            ciphertext: r.ciphertext,
          };
          result[r.field] = await envelope.open(contextOf(memberId), sealed);
        }
        return { result, targets: [memberId], severity: 'high', detail: { fields: revealed } };
      });
    },
  );
}
