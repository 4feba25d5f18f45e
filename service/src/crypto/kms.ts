// AWS KMS key provider: GenerateDataKey / Decrypt with the encryption context bound to each key.
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DataKey, EncryptionContext, KeyProvider } from './types.js';

/** The subset of KMSClient used here, so tests can inject a fake. */
export type KmsSender = Pick<KMSClient, 'send'>;

export class KmsKeyProvider implements KeyProvider {
  constructor(
    private readonly client: KmsSender,
    readonly keyId: string,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const out = await this.client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return {
      plaintext: Buffer.from(out.Plaintext),
      encrypted: Buffer.from(out.CiphertextBlob),
      keyId: out.KeyId ?? this.keyId,
    };
  }

  async decryptDataKey(encrypted: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    const out = await this.client.send(
      new DecryptCommand({ CiphertextBlob: encrypted, KeyId: keyId, EncryptionContext: context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}
