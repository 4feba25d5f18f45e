/**
 * The errors an operator meets when verifying, each turned into ONE line that says what is wrong and how to fix it.
 * Exit code 2 for all of them (usage, credentials, wrong account or region, stacks not deployed); a failed check is 1.
 */

/** A problem that stops the verification before any check can be judged. */
export class VerifyError extends Error {
  constructor(
    message: string,
    /** What to do about it. */
    readonly fix: string,
  ) {
    super(message);
    this.name = 'VerifyError';
  }

  /** The one line printed for the operator. */
  get line(): string {
    return `${this.message}. Fix: ${this.fix}`;
  }
}

/** A call the verifier's IAM principal may not make; the check that needed it is reported as an error. */
export class AccessDeniedError extends VerifyError {
  constructor(readonly action: string) {
    super(
      `AccessDenied: the credentials lack ${action}`,
      `allow ${action} (the whole read-only policy is verify/read-only-policy.json)`,
    );
    this.name = 'AccessDeniedError';
  }
}

/** The SDK's error shape (name, code and HTTP status are all that is used). */
interface SdkError {
  readonly name?: string;
  readonly Code?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

function nameOf(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  return e.name ?? e.Code ?? e.code ?? '';
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'PriorRequestNotComplete',
]);

/** True for an error the service returns when calls come too fast (retried with backoff). */
export function isThrottling(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return THROTTLING.has(nameOf(error)) || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429;
}

/** True for a transient failure worth retrying: a 5xx or a dropped connection. */
export function isTransient(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || ['TimeoutError', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(nameOf(error) || e.code || '');
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'NotAuthorizedException',
  'AuthorizationErrorException',
  'AccessDeniedFault',
]);

/** True for an authorization failure (the principal lacks a permission). */
export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(nameOf(error)) || (error as SdkError)?.$metadata?.httpStatusCode === 403;
}

/** Credentials that exist but are expired or invalid. */
export function isBadCredentials(error: unknown): boolean {
  return [
    'ExpiredToken',
    'ExpiredTokenException',
    'InvalidClientTokenId',
    'UnrecognizedClientException',
    'SignatureDoesNotMatch',
    'InvalidAccessKeyId',
    'InvalidSignatureException',
  ].includes(nameOf(error));
}

/** The verify error for a failed call, when the failure is one the operator fixes (else undefined). */
export function operatorError(error: unknown, action: string): VerifyError | undefined {
  if (isAccessDenied(error)) return new AccessDeniedError(action);
  if (isBadCredentials(error)) {
    return new VerifyError(
      `The AWS credentials were refused (${nameOf(error)})`,
      'refresh them (aws sso login, or new keys) and run verify again',
    );
  }
  return undefined;
}

/** No credentials could be found by the default chain (or it took too long). */
export function noCredentials(detail: string): VerifyError {
  return new VerifyError(
    `No AWS credentials found (${detail})`,
    'set AWS_PROFILE (aws sso login --profile <name>) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then run verify again',
  );
}
