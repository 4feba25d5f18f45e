// Local/dev/test key store: hmk.conversation_keys, reachable only by the hmk_keys role (its own pool).
// Production refuses it (config.ts): a key destroyed here would live on in every database backup.
import type pg from 'pg';
import type { KeyStore, StoredKey } from './key-store.js';

export class PostgresKeyStore implements KeyStore {
  /** `pool` must run as hmk_keys (see createRolePool). */
  constructor(private readonly pool: pg.Pool) {}

  async get(conversationId: string, period: string): Promise<StoredKey | undefined> {
    const { rows } = await this.pool.query<{ wrapped_key: Buffer; kms_key_id: string }>(
      'SELECT wrapped_key, kms_key_id FROM hmk.conversation_keys WHERE conversation_id = $1 AND period = $2',
      [conversationId, period],
    );
    return rows[0] && { wrappedKey: rows[0].wrapped_key, kmsKeyId: rows[0].kms_key_id };
  }

  async createIfAbsent(conversationId: string, period: string, key: StoredKey): Promise<StoredKey> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO hmk.conversation_keys (conversation_id, period, wrapped_key, kms_key_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [conversationId, period, key.wrappedKey, key.kmsKeyId],
    );
    if (rowCount) return key;
    const winner = await this.get(conversationId, period);
    if (!winner) throw new Error('key store: insert conflicted but no key is stored');
    return winner;
  }

  async destroy(conversationId: string, period: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM hmk.conversation_keys WHERE conversation_id = $1 AND period = $2',
      [conversationId, period],
    );
    return (rowCount ?? 0) > 0;
  }

  async listPeriods(conversationId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ period: string }>(
      'SELECT period FROM hmk.conversation_keys WHERE conversation_id = $1 ORDER BY period',
      [conversationId],
    );
    return rows.map((r) => r.period);
  }
}
