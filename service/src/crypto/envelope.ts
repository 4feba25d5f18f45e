// Envelope encryption of message bodies (pillar P05). Bodies are sealed with AES-256-GCM under a data key
// per conversation and key period (calendar month, UTC), with {service, conversationId, period} as KMS
// encryption context and as AAD, so a body copied to another conversation or period fails to open.
// The wrapped period key lives in a key store outside the database (crypto-shredding: destroying it makes
// every copy of that period's bodies, backups included, unreadable); the body row holds only a reference,
// key_id 'ks:<period>' with encrypted_key NULL. Rows sealed before period keys carry their own wrapped
// key (key_id = the KMS key id) and keep opening; records other than message bodies still use that format.
// Keys are cached with a bounded age, use count and entry count, so key-store and KMS calls stay few; a
// destroyed key leaves a running process's cache within the age limit.
import { createHash } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aes-gcm.js';
import { KEY_REF_PREFIX, isPeriod, keyRef, periodOf, type KeyStore } from './key-store.js';
import { canonicalContext, type EncryptionContext, type KeyProvider } from './types.js';

export interface SealedBody {
  /** 'ks:<period>' (a key-store reference), or the KMS key id of a row that carries its own wrapped key. */
  keyId: string;
  /** The wrapped data key of a row sealed before period keys; null for a key-store reference. */
  encryptedKey: Buffer | null;
  iv: Buffer;
  ciphertext: Buffer;
}

export interface KeyCacheLimits {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

/** The key of a body's period is gone from the key store: the body was crypto-shredded. */
export class KeyDestroyedError extends Error {
  constructor() {
    super('the data key of this body has been destroyed');
    this.name = 'KeyDestroyedError';
  }
}

interface CachedKey<T> {
  key: Promise<T>;
  createdAt: number;
  uses: number;
}

/** Small LRU with age and use limits; a Map keeps insertion order. */
class KeyCache<T> {
  private readonly entries = new Map<string, CachedKey<T>>();
  constructor(
    private readonly limits: KeyCacheLimits,
    private readonly now: () => number,
  ) {}

  take(id: string, create: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(id);
    const t = this.now();
    if (!entry || entry.uses >= this.limits.maxUses || t - entry.createdAt >= this.limits.maxAgeMs) {
      const fresh: CachedKey<T> = { key: create(), createdAt: t, uses: 0 };
      // A failed key service call (or a destroyed key) must not stay cached.
      fresh.key.catch(() => this.entries.get(id) === fresh && this.entries.delete(id));
      entry = fresh;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface WrappedKey {
  plaintext: Buffer;
  encrypted: Buffer;
  keyId: string;
}

export class Envelope {
  private readonly periodKeys: KeyCache<Buffer>;
  private readonly wrappedEncryptKeys: KeyCache<WrappedKey>;
  private readonly wrappedDecryptKeys: KeyCache<WrappedKey>;

  /** Without a key store every seal uses the earlier format (the unit tests of that format use this). */
  constructor(
    private readonly provider: KeyProvider,
    limits: KeyCacheLimits,
    private readonly now: () => number = Date.now,
    private readonly keyStore?: KeyStore,
  ) {
    this.periodKeys = new KeyCache(limits, now);
    this.wrappedEncryptKeys = new KeyCache(limits, now);
    this.wrappedDecryptKeys = new KeyCache({ ...limits, maxUses: Number.POSITIVE_INFINITY }, now);
  }

  private static context(conversationId: string): EncryptionContext {
    return { service: 'hipaa-messaging', conversationId };
  }

  private static periodContext(conversationId: string, period: string): EncryptionContext {
    return { service: 'hipaa-messaging', conversationId, period };
  }

  /**
   * A conversation id (a UUID) seals a message body under the conversation's key of the current period.
   * Any other context (e.g. "patient:<id>", records that retention never shreds) uses sealWrapped().
   */
  async seal(contextId: string, plaintext: string): Promise<SealedBody> {
    if (!this.keyStore || !UUID.test(contextId)) return this.sealWrapped(contextId, plaintext);
    const conversationId = contextId;
    const period = periodOf(new Date(this.now()));
    const key = await this.periodKey(conversationId, period, true);
    const aad = canonicalContext(Envelope.periodContext(conversationId, period));
    const { iv, ciphertext } = gcmSeal(key, Buffer.from(plaintext, 'utf8'), aad);
    return { keyId: keyRef(period), encryptedKey: null, iv, ciphertext };
  }

  async open(conversationId: string, sealed: SealedBody): Promise<string> {
    if (sealed.keyId.startsWith(KEY_REF_PREFIX)) {
      const period = sealed.keyId.slice(KEY_REF_PREFIX.length);
      if (!isPeriod(period)) throw new Error('malformed key reference');
      const key = await this.periodKey(conversationId, period, false);
      const aad = canonicalContext(Envelope.periodContext(conversationId, period));
      return gcmOpen(key, sealed.iv, sealed.ciphertext, aad).toString('utf8');
    }
    return this.openWrapped(conversationId, sealed);
  }

  /** The plaintext key of a period, from the store (created there on first use when `create`). */
  private periodKey(conversationId: string, period: string, create: boolean): Promise<Buffer> {
    const store = this.keyStore;
    if (!store) return Promise.reject(new Error('this body needs the key store, which is not configured'));
    return this.periodKeys.take(`${conversationId}/${period}`, async () => {
      const context = Envelope.periodContext(conversationId, period);
      let stored = await store.get(conversationId, period);
      if (!stored) {
        if (!create) throw new KeyDestroyedError();
        const fresh = await this.provider.generateDataKey(context);
        stored = await store.createIfAbsent(conversationId, period, {
          wrappedKey: fresh.encrypted,
          kmsKeyId: fresh.keyId,
        });
        // Two containers racing end with one stored key; the loser unwraps the winner's.
        if (stored.wrappedKey.equals(fresh.encrypted)) return fresh.plaintext;
      }
      return this.provider.decryptDataKey(stored.wrappedKey, stored.kmsKeyId, context);
    });
  }

  /**
   * The earlier format: a data key (cached, bounded) wrapped into the sealed value itself, bound to `contextId`.
   * For records that are not message bodies and are never crypto-shredded.
   */
  private async sealWrapped(contextId: string, plaintext: string): Promise<SealedBody> {
    const context = Envelope.context(contextId);
    const dataKey = await this.wrappedEncryptKeys.take(contextId, () => this.provider.generateDataKey(context));
    const { iv, ciphertext } = gcmSeal(dataKey.plaintext, Buffer.from(plaintext, 'utf8'), canonicalContext(context));
    return { keyId: dataKey.keyId, encryptedKey: dataKey.encrypted, iv, ciphertext };
  }

  private async openWrapped(conversationId: string, sealed: SealedBody): Promise<string> {
    const encryptedKey = sealed.encryptedKey;
    if (!encryptedKey) throw new Error('body carries neither a wrapped key nor a key-store reference');
    const context = Envelope.context(conversationId);
    const cacheId = createHash('sha256').update(conversationId).update(encryptedKey).digest('base64');
    const dataKey = await this.wrappedDecryptKeys.take(cacheId, async () => ({
      plaintext: await this.provider.decryptDataKey(encryptedKey, sealed.keyId, context),
      encrypted: encryptedKey,
      keyId: sealed.keyId,
    }));
    return gcmOpen(dataKey.plaintext, sealed.iv, sealed.ciphertext, canonicalContext(context)).toString('utf8');
  }
}
