// JSON schemas shared by the routes (validation and the OpenAPI document).
import { HttpError } from '../errors.js';
import { PLAIN_TEXT_PATTERN, visibleLength } from '../text.js';

export { wellFormed } from '../text.js';

export const uuid = { type: 'string', format: 'uuid' } as const;

export const plainText = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: PLAIN_TEXT_PATTERN }) as const;

/** 400 naming `field` unless a stated reason is well-formed and has at least `min` visible characters. */
export function requireReason(field: string, value: string, min: number, why = 'why'): void {
  if (!value.isWellFormed()) throw new HttpError(400, `${field} must be well-formed Unicode`);
  if (visibleLength(value) < min)
    throw new HttpError(400, `${field} must say ${why} in at least ${min} visible characters`);
}

export const errorReply = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

export const errorResponses = {
  400: errorReply,
  401: errorReply,
  403: errorReply,
  404: errorReply,
  409: errorReply,
  413: errorReply,
  415: errorReply,
  429: errorReply,
  503: errorReply,
} as const;

export const idParams = {
  type: 'object',
  properties: { id: uuid },
  required: ['id'],
  additionalProperties: false,
} as const;

/** `/v1/conversations/:id/messages/:messageId...` */
export const messageParams = {
  type: 'object',
  properties: { id: uuid, messageId: uuid },
  required: ['id', 'messageId'],
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
