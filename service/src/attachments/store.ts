// Chooses the attachment store from the configuration: the PHI bucket in AWS, a local directory elsewhere.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { LocalAttachmentStore } from './local.js';
import { S3AttachmentStore, createS3Client } from './s3.js';
import type { AttachmentStore } from './types.js';

export function attachmentStoreFor(config: Config): AttachmentStore {
  const a = config.attachments;
  if (a.mode === 's3') {
    // loadConfig guarantees both in s3 mode.
    return new S3AttachmentStore(createS3Client(config.awsRegion), a.bucket!, a.kmsKeyId!, a.urlTtlSeconds);
  }
  // Without ATTACHMENTS_DIR, a fresh directory per process (created on the first upload).
  return new LocalAttachmentStore(a.dir ?? join(tmpdir(), `hmk-attachments-${randomUUID()}`), a.urlTtlSeconds);
}
