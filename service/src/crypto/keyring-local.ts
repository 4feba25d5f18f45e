// Local stand-in for KMS (dev and tests): data keys are wrapped under an in-process master key with
// the encryption context as AAD, so the same context rules as KMS apply. Never used in production.
import { createHash, randomBytes } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aes-gcm.js';
import { canonicalContext, type DataKey, type EncryptionContext, type KeyProvider } from './types.js';

export class LocalKeyring implements KeyProvider {
  readonly keyId: string;
  private readonly master: Buffer;

  constructor(masterKey: Buffer = randomBytes(32)) {
    if (masterKey.length !== 32) throw new Error('local master key must be 32 bytes');
    this.master = masterKey;
    this.keyId = `local:${createHash('sha256').update(masterKey).digest('hex').slice(0, 16)}`;
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const { iv, ciphertext } = gcmSeal(this.master, plaintext, canonicalContext(context));
    return { plaintext, encrypted: Buffer.concat([iv, ciphertext]), keyId: this.keyId };
  }

  async decryptDataKey(encrypted: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    if (keyId !== this.keyId) throw new Error('data key was not issued by this keyring');
    return gcmOpen(this.master, encrypted.subarray(0, 12), encrypted.subarray(12), canonicalContext(context));
  }
}
