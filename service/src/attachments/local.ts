// Attachments in a local directory (development and tests; loadConfig refuses it in production). The
// "presigned" URLs are served by the service itself (src/routes/attachments.ts) and, like S3's, carry
// their own credential: an HMAC-signed token naming the object, the method, the exact content type and
// size of an upload, and the expiry. The secret is random per process, so a restart voids every URL.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpError } from '../errors.js';
import {
  MAX_URL_TTL_SECONDS,
  urlLifetimeSeconds,
  type AttachmentStore,
  type PresignedRequest,
  type StoredObject,
} from './types.js';

/** Path of the two local routes; URLs are relative to the service's own origin. */
export const LOCAL_URL_PATH = '/v1/attachments/local';

// Object keys are ours (attachments/<uuid>/<uuid>); anything with a dot, a backslash or an empty
// segment is refused, so a key can never leave the directory or collide with a ".part"/".type" file.
const OBJECT_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_-]*)*$/;

interface Grant {
  /** object key */ k: string;
  m: 'PUT' | 'GET';
  /** content type and size an upload must have */ t?: string;
  n?: number;
  /** expiry, ms since the epoch */ e: number;
}

export interface LocalObject extends StoredObject {
  stream: Readable;
}

export class LocalAttachmentStore implements AttachmentStore {
  private readonly secret = randomBytes(32);
  private readonly root: string;
  private readonly ttlMs: number;

  constructor(dir: string, ttlSeconds: number) {
    this.root = resolve(dir);
    this.ttlMs = Math.min(ttlSeconds, MAX_URL_TTL_SECONDS) * 1000;
  }

  async presignUpload(objectKey: string, contentType: string, sizeBytes: number): Promise<PresignedRequest> {
    this.pathOf(objectKey);
    const e = Date.now() + this.ttlMs;
    return {
      url: `${LOCAL_URL_PATH}?token=${this.sign({ k: objectKey, m: 'PUT', t: contentType, n: sizeBytes, e })}`,
      method: 'PUT',
      headers: { 'content-type': contentType, 'content-length': String(sizeBytes) },
      expiresAt: new Date(e),
    };
  }

  async presignDownload(objectKey: string, notAfter?: Date): Promise<PresignedRequest> {
    this.pathOf(objectKey);
    const now = new Date();
    const e = now.getTime() + urlLifetimeSeconds(this.ttlMs / 1000, now, notAfter) * 1000;
    return {
      url: `${LOCAL_URL_PATH}?token=${this.sign({ k: objectKey, m: 'GET', e })}`,
      method: 'GET',
      headers: {},
      expiresAt: new Date(e),
    };
  }

  async head(objectKey: string): Promise<StoredObject | undefined> {
    const path = this.pathOf(objectKey);
    try {
      const { size } = await stat(path);
      return { sizeBytes: size, contentType: await readFile(`${path}.type`, 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async deleteObjects(objectKeys: string[]): Promise<void> {
    for (const key of objectKeys) {
      const path = this.pathOf(key);
      await rm(path, { force: true });
      await rm(`${path}.type`, { force: true });
    }
  }

  /**
   * Stores the body of a PUT made with an upload token, enforcing what S3 enforces through the signature:
   * the exact content type and length, and a single write. The bytes go to a temporary file that is linked into
   * place only once complete, so a half upload never appears. Returns the size stored.
   */
  async receive(
    token: string,
    headers: { contentType?: string; contentLength?: string },
    body: Readable,
  ): Promise<number> {
    const grant = this.verify(token, 'PUT');
    const size = grant.n!;
    if (headers.contentType !== grant.t) {
      throw new HttpError(403, `headers.content-type must be exactly "${grant.t}", as the upload was signed`);
    }
    if (headers.contentLength !== String(size)) {
      throw new HttpError(403, `headers.content-length must be ${size}, as the upload was signed`);
    }
    const path = this.pathOf(grant.k);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const part = `${path}.${randomUUID()}.part`;
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(received > size ? new HttpError(400, `body is longer than the ${size} bytes signed for`) : null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      if (received !== size) throw new HttpError(400, `body has ${received} bytes, not the ${size} signed for`);
      // Write once, as S3 does with the signed If-None-Match: *: a second PUT with the same (still valid) URL
      // must not replace a file that was already uploaded and perhaps completed. link() refuses an existing path.
      try {
        await link(part, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new HttpError(412, 'the object was already uploaded; an upload URL stores one file once');
        }
        throw err;
      }
      const typePart = `${path}.${randomUUID()}.part`;
      await writeFile(typePart, grant.t!, { flag: 'wx', mode: 0o600 });
      await rename(typePart, `${path}.type`);
    } finally {
      await rm(part, { force: true });
    }
    return received;
  }

  /** Opens the object a download token names. */
  async open(token: string): Promise<LocalObject> {
    const grant = this.verify(token, 'GET');
    const stored = await this.head(grant.k);
    if (!stored) throw new HttpError(404, 'object not found');
    return { ...stored, stream: createReadStream(this.pathOf(grant.k)) };
  }

  private pathOf(objectKey: string): string {
    const path = resolve(this.root, objectKey);
    if (!OBJECT_KEY.test(objectKey) || !path.startsWith(this.root + sep)) throw new Error('invalid object key');
    return path;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }

  private sign(grant: Grant): string {
    const body = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  private verify(token: string, method: Grant['m']): Grant {
    const [body, mac, ...rest] = token.split('.');
    const given = Buffer.from(mac ?? '');
    const expected = Buffer.from(this.mac(body));
    if (rest.length || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(403, 'query.token is not valid (altered, or issued before a restart); ask for a new URL');
    }
    const grant = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Grant;
    if (grant.m !== method) throw new HttpError(403, `query.token was issued for ${grant.m}, not ${method}`);
    if (Date.now() >= grant.e) throw new HttpError(403, 'query.token has expired; ask for a new URL');
    return grant;
  }
}
