// One error shape for every failure: {error, message}. Bad input is always a 4xx.
import type { FastifyError } from 'fastify';
import { AuthError } from './auth/verifier.js';
import { InvalidDeviceTokenError, PlatformNotConfiguredError } from './push/types.js';
import { PLAIN_TEXT_PATTERN } from './text.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'not found') => new HttpError(404, what);

const ERROR_NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  500: 'internal',
  503: 'unavailable',
};

export interface ErrorReply {
  status: number;
  body: { error: string; message: string };
}

const reply = (status: number, message: string): ErrorReply => ({
  status,
  body: { error: ERROR_NAMES[status] ?? (status < 500 ? 'bad_request' : 'internal'), message },
});

/** Names the offending field, e.g. "body.participantIds[0] must match format \"uuid\"". */
function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return 'invalid request';
  const params = v.params as Record<string, unknown>;
  const path = (v.instancePath || '')
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('');
  const extra = params.missingProperty ?? params.additionalProperty;
  const field = `${err.validationContext ?? 'request'}${path}${extra ? `.${String(extra)}` : ''}`;
  if (v.keyword === 'pattern' && params.pattern === PLAIN_TEXT_PATTERN) {
    return `${field} must be printable text: not blank, without control, zero-width or direction-override characters`;
  }
  return `${field} ${v.message ?? 'is invalid'}`;
}

// Postgres SQLSTATEs raised by our functions (HMxxx) or by policies and constraints.
function fromPg(code: string, message: string): ErrorReply | undefined {
  switch (code) {
    case 'HM400':
      return reply(400, message);
    case 'HM401':
      return reply(401, message);
    case 'HM403':
      return reply(403, message); // e.g. "register first with PUT /v1/contacts/me"
    case 'HM404':
      return reply(404, message); // raised by our functions, e.g. "conversation not found"
    case '42501':
    case '23503':
      return reply(404, 'not found');
    case 'HM409':
      return reply(409, message); // our functions' own words, e.g. "account already closed"
    case 'HM422':
      return reply(422, message); // e.g. an Idempotency-Key reused for a different request
    case '23505':
      return reply(409, 'conflicts with existing data');
    case '23514':
    case '22001':
    case '22021':
    case '22P02':
    case '22003':
    case '54000':
      return reply(400, 'a value in the request is not acceptable');
    case '57014':
    case '53300':
    case '08006':
    case '40P01':
    case '40001':
      return reply(503, 'temporarily unavailable, retry');
    default:
      return code.startsWith('22') ? reply(400, 'a value in the request is not acceptable') : undefined;
  }
}

export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof HttpError) return reply(err.statusCode, err.message);
  if (err instanceof AuthError) return reply(401, err.message);
  if (err instanceof InvalidDeviceTokenError) return reply(400, `body.token: ${err.message}`);
  if (err instanceof PlatformNotConfiguredError) return reply(409, `body.platform: ${err.message}`);
  const e = err as FastifyError & { code?: string; severity?: string };
  if (e.validation) return reply(400, validationMessage(e));
  if (typeof e.code === 'string' && e.severity !== undefined) {
    const mapped = fromPg(e.code, e.message);
    if (mapped) return mapped;
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const messages: Record<string, string> = {
      FST_ERR_CTP_INVALID_JSON_BODY: 'body is not valid JSON',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'body must not be empty when content-type is application/json',
      FST_ERR_CTP_BODY_TOO_LARGE: 'request body is too large',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type must be application/json',
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content-length does not match the body',
      FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
    };
    // Framework messages can quote the request, so only our own rate-limit message is passed through.
    const message = messages[e.code ?? ''] ?? (e.statusCode === 429 ? e.message : 'invalid request');
    return reply(e.statusCode, message);
  }
  return reply(500, 'internal error');
}
