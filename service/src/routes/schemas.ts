import { HttpError } from '../errors.js';
// JSON schemas shared by the routes (validation and the OpenAPI document).
export const uuid = { type: 'string', format: 'uuid' } as const;

/**
 * Printable, non-blank text: no C0/C1 control characters (they break logs, terminals and Postgres text), no
 * zero-width or bidirectional-override characters (they hide or reorder what a reviewer reads), and at least
 * one visible character.
 */
export const PLAIN_TEXT_PATTERN =
  '^(?=.*[^\\s\\u200b-\\u200f\\u2060\\ufeff])[^\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff]*$';
export const plainText = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: PLAIN_TEXT_PATTERN }) as const;

/** Characters a reader sees: not whitespace, control or formatting characters. */
export function visibleLength(value: string): number {
  return [...value.replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, '')].length;
}

/** 400 naming `field` unless a stated reason is well-formed and has at least `min` visible characters. */
export function requireReason(field: string, value: string, min: number, why = 'why'): void {
  if (!value.isWellFormed()) throw new HttpError(400, `${field} must be well-formed Unicode`);
  if (visibleLength(value) < min) throw new HttpError(400, `${field} must say ${why} in at least ${min} visible characters`);
}

export const errorReply = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

export const errorResponses = {
  400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 413: errorReply, 415: errorReply,
  429: errorReply, 503: errorReply,
} as const;

export const idParams = {
  type: 'object',
  properties: { id: uuid },
  required: ['id'],
  additionalProperties: false,
} as const;

export const contact = {
  type: 'object',
  properties: { id: uuid, username: { type: 'string' }, displayName: { type: ['string', 'null'] } },
  required: ['id', 'username', 'displayName'],
} as const;

export const conversation = {
  type: 'object',
  properties: {
    id: uuid,
    kind: { type: 'string', enum: ['direct', 'group'] },
    endToEnd: { type: 'boolean' },
    participantIds: { type: 'array', items: uuid },
    createdAt: { type: 'string', format: 'date-time' },
    lastActivityAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'kind', 'endToEnd', 'participantIds', 'createdAt', 'lastActivityAt'],
} as const;

/** Rejects lone surrogates, which would otherwise be silently replaced when encoded. */
export function wellFormed(value: string): boolean {
  return value.isWellFormed();
}
