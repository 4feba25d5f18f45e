// What the service needs from attachment storage: S3 (presigned URLs, SSE-KMS with the PHI key) in AWS,
// a local directory behind the same interface elsewhere, so tests run offline.

/**
 * No presigned URL lives longer, whatever the configuration says. Migration 010 relies on it: an object whose
 * row is deleted is itself deleted only after hmk.object_grace() (this plus a minute), when no upload URL for
 * it can still store the file.
 */
export const MAX_URL_TTL_SECONDS = 300;

/**
 * Seconds a URL signed at `now` may live: the store's TTL, cut short so that it expires no later than `notAfter`
 * (e.g. the end of the break-glass grant it is issued under). Whole seconds, rounded down, as S3 takes them.
 */
export function urlLifetimeSeconds(ttlSeconds: number, now: Date, notAfter?: Date): number {
  const seconds = notAfter ? Math.min(ttlSeconds, Math.floor((notAfter.getTime() - now.getTime()) / 1000)) : ttlSeconds;
  if (seconds < 1) throw new Error('a presigned URL must live at least 1 second; notAfter has (nearly) passed');
  return seconds;
}

export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send exactly (e.g. content type, SSE-KMS key). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface StoredObject {
  sizeBytes: number;
  contentType: string;
}

export interface AttachmentStore {
  /** A presigned PUT for one object of exactly `sizeBytes` and `contentType`. */
  presignUpload(objectKey: string, contentType: string, sizeBytes: number): Promise<PresignedRequest>;
  /** A presigned GET, valid at most 5 minutes, and never past `notAfter` when given. */
  presignDownload(objectKey: string, notAfter?: Date): Promise<PresignedRequest>;
  /** The stored object, or undefined if it was never uploaded. */
  head(objectKey: string): Promise<StoredObject | undefined>;
  /** Removes the objects and every stored version of them; keys already gone are not an error. */
  deleteObjects(objectKeys: string[]): Promise<void>;
}
