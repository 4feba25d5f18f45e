// Envelope encryption of message bodies (pillar P05). Each conversation gets its own data key,
// bound to the conversation id as encryption context; the body is sealed with AES-256-GCM using the
// same context as AAD, so a body copied to another conversation fails to open.
// Data keys are cached with a bounded age, use count and entry count, so KMS calls stay few.
import { createHash } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aes-gcm.js';
import { canonicalContext, type EncryptionContext, type KeyProvider } from './types.js';

export interface SealedBody {
  keyId: string;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
}

export interface KeyCacheLimits {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

interface CachedKey {
  key: Promise<{ plaintext: Buffer; encrypted: Buffer; keyId: string }>;
  createdAt: number;
  uses: number;
}

/** Small LRU with age and use limits; a Map keeps insertion order. */
class KeyCache {
  private readonly entries = new Map<string, CachedKey>();
  constructor(private readonly limits: KeyCacheLimits, private readonly now: () => number) {}

  take(id: string, create: () => CachedKey['key']): CachedKey['key'] {
    let entry = this.entries.get(id);
    const t = this.now();
    if (!entry || entry.uses >= this.limits.maxUses || t - entry.createdAt >= this.limits.maxAgeMs) {
      entry = { key: create(), createdAt: t, uses: 0 };
      // A failed key service call must not stay cached.
      entry.key.catch(() => this.entries.get(id) === entry && this.entries.delete(id));
    }
    entry.uses += 1;
    this.entries.delete(id);
    this.entries.set(id, entry);
    if (this.entries.size > this.limits.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return entry.key;
  }
}

export class Envelope {
  private readonly encryptKeys: KeyCache;
  private readonly decryptKeys: KeyCache;

  constructor(
    private readonly provider: KeyProvider,
    limits: KeyCacheLimits,
    now: () => number = Date.now,
  ) {
    this.encryptKeys = new KeyCache(limits, now);
    this.decryptKeys = new KeyCache({ ...limits, maxUses: Number.POSITIVE_INFINITY }, now);
  }

  private static context(conversationId: string): EncryptionContext {
    return { service: 'hipaa-messaging', conversationId };
  }

  async seal(conversationId: string, plaintext: string): Promise<SealedBody> {
    const context = Envelope.context(conversationId);
    const dataKey = await this.encryptKeys.take(conversationId, () => this.provider.generateDataKey(context));
    const { iv, ciphertext } = gcmSeal(dataKey.plaintext, Buffer.from(plaintext, 'utf8'), canonicalContext(context));
    return { keyId: dataKey.keyId, encryptedKey: dataKey.encrypted, iv, ciphertext };
  }

  async open(conversationId: string, sealed: SealedBody): Promise<string> {
    const context = Envelope.context(conversationId);
    const cacheId = createHash('sha256').update(conversationId).update(sealed.encryptedKey).digest('base64');
    const dataKey = await this.decryptKeys.take(cacheId, async () => ({
      plaintext: await this.provider.decryptDataKey(sealed.encryptedKey, sealed.keyId, context),
      encrypted: sealed.encryptedKey,
      keyId: sealed.keyId,
    }));
    return gcmOpen(dataKey.plaintext, sealed.iv, sealed.ciphertext, canonicalContext(context)).toString('utf8');
  }
}
