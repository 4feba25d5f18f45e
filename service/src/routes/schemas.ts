// JSON schemas shared by the routes (validation and the OpenAPI document).
export const uuid = { type: 'string', format: 'uuid' } as const;

/** Printable text: no control characters (they break logs, terminals and Postgres text). */
export const plainText = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }) as const;

export const errorReply = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

export const errorResponses = {
  400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 413: errorReply, 429: errorReply,
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
