// Attachments in the PHI bucket. Uploads are presigned PUTs whose signature covers the SSE-KMS headers
// (with the PHI key), the content type and the exact length, so S3 refuses any other upload on that URL.
// Downloads are presigned GETs valid at most 5 minutes (less when the reader's break-glass grant ends sooner). The bucket is versioned: deleting removes every version.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  MAX_URL_TTL_SECONDS,
  urlLifetimeSeconds,
  type AttachmentStore,
  type PresignedRequest,
  type StoredObject,
} from './types.js';

/** Headers the upload's signature must cover (checked on every URL, see presignUpload). */
const SIGNED_UPLOAD_HEADERS = [
  'content-length',
  'content-type',
  'if-none-match',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
];

/**
 * The S3 client for presigning. With the SDK's default (WHEN_SUPPORTED) a presigned PutObject carries
 * x-amz-checksum-crc32 of an EMPTY body in its query, and S3 then refuses the real upload.
 */
export function createS3Client(region: string | undefined): S3Client {
  return new S3Client({ region, requestChecksumCalculation: 'WHEN_REQUIRED' });
}

export class S3AttachmentStore implements AttachmentStore {
  private readonly ttlSeconds: number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly kmsKeyId: string,
    ttlSeconds: number,
  ) {
    this.ttlSeconds = Math.min(ttlSeconds, MAX_URL_TTL_SECONDS);
  }

  async presignUpload(objectKey: string, contentType: string, sizeBytes: number): Promise<PresignedRequest> {
    const signingDate = new Date();
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: objectKey,
      ContentType: contentType,
      ContentLength: sizeBytes,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: this.kmsKeyId,
      // A conditional write: S3 refuses (412) a second PUT with this URL once the object exists, so a completed
      // attachment cannot be replaced while the upload URL is still valid.
      IfNoneMatch: '*',
    });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: this.ttlSeconds,
      signingDate,
      // The presigner always adds content-type to unsignableHeaders; signableHeaders overrides that.
      // The SSE headers it keeps as signed headers by itself (unhoistable); content-length is signed by default.
      signableHeaders: new Set(['content-type', 'content-length', 'if-none-match']),
    });
    // Refuse a URL that would not bind what we promise (e.g. after an SDK upgrade changes the defaults).
    const query = new URL(url).searchParams;
    const signed = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    const missing = SIGNED_UPLOAD_HEADERS.filter((h) => !signed.includes(h));
    if (missing.length || [...query.keys()].some((k) => k.toLowerCase().startsWith('x-amz-checksum-'))) {
      throw new Error(
        `presigned upload does not sign ${missing.join(', ') || 'the body correctly (checksum in query)'}`,
      );
    }
    return {
      url,
      method: 'PUT',
      headers: {
        'content-type': contentType,
        'content-length': String(sizeBytes),
        'if-none-match': '*',
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': this.kmsKeyId,
      },
      expiresAt: new Date(signingDate.getTime() + this.ttlSeconds * 1000),
    };
  }

  async presignDownload(objectKey: string, notAfter?: Date): Promise<PresignedRequest> {
    const signingDate = new Date();
    const expiresIn = urlLifetimeSeconds(this.ttlSeconds, signingDate, notAfter);
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), {
      expiresIn,
      signingDate,
    });
    return { url, method: 'GET', headers: {}, expiresAt: new Date(signingDate.getTime() + expiresIn * 1000) };
  }

  async head(objectKey: string): Promise<StoredObject | undefined> {
    // S3 answers a HEAD on a missing key with 403 unless the caller may list the bucket, and the task role may list
    // only under attachments/ (an s3:prefix condition S3 may not apply to HEAD). A listing scoped to the exact key
    // tells "not uploaded" apart from "access denied" without depending on that.
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectKey, MaxKeys: 1 }));
    if (!listed.Contents?.some((o) => o.Key === objectKey)) return undefined;
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { sizeBytes: out.ContentLength ?? 0, contentType: out.ContentType ?? '' };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  async deleteObjects(objectKeys: string[]): Promise<void> {
    const versions: ObjectIdentifier[] = [];
    for (const key of objectKeys) versions.push(...(await this.versionsOf(key)));
    // DeleteObjects takes at most 1000 keys per call.
    for (let i = 0; i < versions.length; i += 1000) {
      const out = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: versions.slice(i, i + 1000), Quiet: true },
        }),
      );
      if (out.Errors?.length) {
        const codes = [...new Set(out.Errors.map((e) => e.Code ?? 'unknown'))].join(', ');
        throw new Error(`S3 did not delete ${out.Errors.length} object versions (${codes})`);
      }
    }
  }

  /** Every version and delete marker of exactly `key` (the listing is by prefix). */
  private async versionsOf(key: string): Promise<ObjectIdentifier[]> {
    const found: ObjectIdentifier[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (v.Key === key) found.push({ Key: key, VersionId: v.VersionId });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    } while (keyMarker !== undefined || versionIdMarker !== undefined);
    return found;
  }
}
