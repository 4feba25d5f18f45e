// Conversation data keys per key period (a calendar month, UTC), kept OUTSIDE the message database so
// that destroying a period's key makes every copy of its bodies (including database backups) unreadable
// (crypto-shredding). The stored value is the data key wrapped by KMS; the store never sees a plaintext key.

/** A data key as the store holds it: wrapped by the key provider (KMS), plus the wrapping key's id. */
export interface StoredKey {
  wrappedKey: Buffer;
  kmsKeyId: string;
}

export interface KeyStore {
  /** The key of one conversation and period, or undefined if it was never created or was destroyed. */
  get(conversationId: string, period: string): Promise<StoredKey | undefined>;
  /** Stores `key` unless one exists already (conditional write); returns the key that is stored. */
  createIfAbsent(conversationId: string, period: string, key: StoredKey): Promise<StoredKey>;
  /** Deletes the key; true if it existed. Deleting an absent key is not an error (retries are safe). */
  destroy(conversationId: string, period: string): Promise<boolean>;
  /** The periods that still have a key, oldest first. */
  listPeriods(conversationId: string): Promise<string[]>;
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The key period of an instant: its UTC calendar month, e.g. "2026-11". */
export function periodOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function isPeriod(value: string): boolean {
  return PERIOD.test(value);
}

/** The first instant after the period (the start of the next UTC month). */
export function periodEnd(period: string): Date {
  const m = PERIOD.exec(period);
  if (!m) throw new Error('not a key period');
  return new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
}

/** The body's key reference in hmk.message_bodies.key_id for a period key. */
export const KEY_REF_PREFIX = 'ks:';
export const keyRef = (period: string) => `${KEY_REF_PREFIX}${period}`;
