/** Encryption context: bound to each data key (KMS) and to each sealed body (AES-GCM AAD). */
export type EncryptionContext = Record<string, string>;

export interface DataKey {
  plaintext: Buffer;
  encrypted: Buffer;
  keyId: string;
}

/** What envelope encryption needs from a key service: KMS in AWS, a local keyring elsewhere. */
export interface KeyProvider {
  readonly keyId: string;
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  decryptDataKey(encrypted: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer>;
}

/** Deterministic text form of a context, used as AAD. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(
    Object.keys(context)
      .sort()
      .map((k) => [k, context[k]]),
  );
}
