// What the service needs from attachment storage: S3 (presigned URLs, SSE-KMS with the PHI key) in AWS,
// a local directory behind the same interface elsewhere, so tests run offline.

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
  /** A presigned GET, valid at most 5 minutes. */
  presignDownload(objectKey: string): Promise<PresignedRequest>;
  /** The stored object, or undefined if it was never uploaded. */
  head(objectKey: string): Promise<StoredObject | undefined>;
  /** Removes the objects and every stored version of them; keys already gone are not an error. */
  deleteObjects(objectKeys: string[]): Promise<void>;
}
