// Bearer-token verification with aws-jwt-verify (Cognito in AWS, any OIDC issuer locally).
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { JwtExpiredError } from 'aws-jwt-verify/error';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Config } from '../config.js';

export const ROLES = ['member', 'clinician', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  userId: string;
  username: string;
  roles: Role[];
  /** origin_jti (stable across Cognito refreshes) or jti: the unit of idle logoff. */
  sessionId: string;
}

export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'audience' | 'claims' | 'token_use';

export class AuthError extends Error {
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** aws-jwt-verify fetches over https only; a loopback dev issuer (allowed by config) serves plain http. */
const loopbackHttpFetcher: Fetcher = {
  async fetch(uri) {
    const res = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`JWKS fetch failed with ${res.status}`);
    return res.arrayBuffer();
  },
};

function audienceOf(payload: JwtPayload): string[] {
  // Cognito access tokens carry the app client in client_id instead of aud.
  const aud = payload.aud ?? payload.client_id;
  return (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string');
}

class AudienceError extends Error {}
class TokenUseError extends Error {}

export function createTokenVerifier(auth: Config['auth']) {
  const fetcher = auth.jwksUri.startsWith('http:') ? loopbackHttpFetcher : new SimpleFetcher();
  const verifier = JwtRsaVerifier.create(
    {
      issuer: auth.issuer,
      jwksUri: auth.jwksUri,
      audience: null, // checked below, so client_id counts too
      customJwtCheck: ({ payload }) => {
        if (!audienceOf(payload).some((a) => auth.audience.includes(a))) throw new AudienceError();
        // Only access tokens authorise API calls; an ID token (token_use "id") describes the user to the app. (The
        // generic verifier has no tokenUse option; CognitoJwtVerifier's checks the same claim.)
        if (payload.token_use !== 'access') throw new TokenUseError();
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );

  return async function verify(authorization: string | undefined): Promise<Identity> {
    const m = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(authorization ?? '');
    if (!m) throw new AuthError('missing', 'a Bearer token is required');
    let payload: JwtPayload;
    try {
      payload = await verifier.verify(m[1]);
    } catch (err) {
      if (err instanceof JwtExpiredError) throw new AuthError('expired', 'token expired');
      if (err instanceof AudienceError) throw new AuthError('audience', 'token audience not accepted');
      if (err instanceof TokenUseError) {
        throw new AuthError(
          'token_use',
          'not an access token: send the access token (token_use "access"), not the ID token',
        );
      }
      throw new AuthError('invalid', 'invalid token');
    }
    const username = payload['cognito:username'] ?? payload.username ?? payload.preferred_username;
    const sessionId = payload.origin_jti ?? payload.jti;
    if (
      typeof payload.sub !== 'string' ||
      !UUID.test(payload.sub) ||
      typeof username !== 'string' ||
      username.length === 0 ||
      username.length > 128 ||
      typeof sessionId !== 'string' ||
      sessionId.length === 0 ||
      sessionId.length > 200
    ) {
      throw new AuthError('claims', 'token lacks a UUID sub, a username or a jti');
    }
    const groups = payload['cognito:groups'];
    const roles = ROLES.filter((r) => Array.isArray(groups) && groups.includes(r));
    return { userId: payload.sub.toLowerCase(), username, roles: roles.length ? roles : ['member'], sessionId };
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
