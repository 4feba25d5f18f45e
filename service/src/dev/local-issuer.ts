// A minimal local OIDC issuer for dev, tests and bench: an RSA key pair, a JWKS served on loopback,
// and RS256 token signing with node:crypto.
import { createHash, createPrivateKey, createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';

export interface TokenClaims {
  sub?: string;
  username?: string;
  groups?: string[];
  aud?: string;
  clientId?: string;
  jti?: string;
  originJti?: string;
  expiresInSeconds?: number;
  /** token_use; 'access' (what the service accepts) unless a test wants an ID token. */
  tokenUse?: string;
  extra?: Record<string, unknown>;
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

export function signToken(
  privateKey: KeyObject,
  kid: string,
  issuer: string,
  audience: string,
  c: TokenClaims = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: issuer,
    sub: c.sub ?? randomUUID(),
    'cognito:username': c.username ?? 'dev-user',
    'cognito:groups': c.groups ?? ['clinician'],
    iat: now,
    exp: now + (c.expiresInSeconds ?? 3600),
    jti: c.jti ?? randomUUID(),
    ...(c.originJti ? { origin_jti: c.originJti } : {}),
    // Access tokens, as Cognito issues them: the app client in client_id (or aud, as other issuers put it).
    ...(c.aud !== undefined ? { aud: c.aud } : { client_id: c.clientId ?? audience }),
    token_use: c.tokenUse ?? 'access',
    ...c.extra,
  };
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

export interface LocalIssuer {
  issuer: string;
  jwksUri: string;
  audience: string;
  kid: string;
  privateKeyPem: string;
  mint(claims?: TokenClaims): string;
  close(): Promise<void>;
}

export async function startLocalIssuer(audience = 'hmk-local-client'): Promise<LocalIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    audience,
    kid,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    mint: (claims) => signToken(privateKey, kid, issuer, audience, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function signWithPem(pem: string, kid: string, issuer: string, audience: string, c: TokenClaims): string {
  return signToken(createPrivateKey(pem), kid, issuer, audience, c);
}

// --- Dev issuer file: `npm run dev` writes it, scripts/mint-dev-token reads it. ---

export const DEV_ISSUER_FILE = process.env.HMK_DEV_ISSUER_FILE ?? join(tmpdir(), 'hmk-dev-issuer.json');

interface IssuerFile {
  issuer: string;
  audience: string;
  kid: string;
  privateKeyPem: string;
}

export function writeIssuerFile(i: LocalIssuer, file = DEV_ISSUER_FILE): void {
  const data: IssuerFile = { issuer: i.issuer, audience: i.audience, kid: i.kid, privateKeyPem: i.privateKeyPem };
  writeFileSync(file, JSON.stringify(data), { mode: 0o600 });
}

export function removeIssuerFile(file = DEV_ISSUER_FILE): void {
  rmSync(file, { force: true });
}

/** A stable UUID per dev username, so the same name is the same user across tokens. */
export function devUserId(username: string): string {
  const h = createHash('sha256').update(`hmk-dev:${username}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function mintFromIssuerFile(claims: TokenClaims, file = DEV_ISSUER_FILE): string {
  let data: IssuerFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as IssuerFile;
  } catch {
    throw new Error(`no dev issuer at ${file}: start the service with \`npm run dev\` first`);
  }
  const username = claims.username ?? 'dev-user';
  return signWithPem(data.privateKeyPem, data.kid, data.issuer, data.audience, {
    ...claims,
    username,
    sub: claims.sub ?? devUserId(username),
  });
}
