// Group commit for sends. Sends that arrive while earlier batches are still committing are queued
// and written together: one statement, one transaction, one WAL flush for many messages. A lone
// send goes out at once, so light load sees no added latency. Each message keeps its own
// subtransaction (hmk.send_messages), so its body, audit row and outbox rows are still all-or-nothing,
// and nothing is acknowledged before its batch has committed.
import type pg from 'pg';

export interface SendInput {
  userId: string;
  sessionId: string;
  conversationId: string;
  scheme: 'kms-envelope' | 'e2e';
  keyId: string | null;
  encryptedKey: Buffer | null;
  iv: Buffer | null;
  ciphertext: Buffer;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  /** Idempotency-Key header, and SHA-256 of the conversation and body it must match (both null without one). */
  idempotencyKey: string | null;
  requestHash: Buffer | null;
}

export interface SendResult {
  id: string;
  createdAt: Date;
  /** True when an Idempotency-Key retry returned the original message. */
  replayed: boolean;
}

/** A per-message failure reported by the database, shaped like a pg error so it maps the same way. */
export class SendRefusedError extends Error {
  readonly severity = 'ERROR';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SendRefusedError';
  }
}

interface Pending {
  input: SendInput;
  resolve(r: SendResult): void;
  reject(e: unknown): void;
}

export class SendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly idleSeconds: number,
    /** Write message.created events with each message (config.events.enabled). */
    private readonly events: boolean,
    private readonly maxBatch = 32,
    private readonly maxInFlight = 4,
  ) {}

  send(input: SendInput): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      // Sorted by session so concurrent batches take session-row locks in the same order (no deadlocks).
      const batch = this.queue
        .splice(0, this.maxBatch)
        .sort((a, b) => (a.input.sessionId < b.input.sessionId ? -1 : 1));
      this.inFlight += 1;
      this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const col = <K extends keyof SendInput>(k: K) => batch.map((p) => p.input[k]);
    try {
      const { rows } = await this.pool.query<{
        ord: number;
        id: string | null;
        created_at: Date | null;
        replayed: boolean | null;
        error_code: string | null;
        error_message: string | null;
      }>({
        name: 'hmk-send-messages', // prepared once per connection
        text: `SELECT ord, id, created_at, replayed, error_code, error_message
                 FROM hmk.send_messages($1, $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::bytea[],
                                        $8::bytea[], $9::bytea[], $10::inet[], $11::text[], $12::text[], $13,
                                        $14::text[], $15::bytea[])`,
        values: [
          this.idleSeconds,
          col('userId'),
          col('sessionId'),
          col('conversationId'),
          col('scheme'),
          col('keyId'),
          col('encryptedKey'),
          col('iv'),
          col('ciphertext'),
          col('ip'),
          col('userAgent'),
          col('requestId'),
          this.events,
          col('idempotencyKey'),
          col('requestHash'),
        ],
      });
      for (const r of rows) {
        const p = batch[r.ord - 1];
        if (r.error_code) p.reject(new SendRefusedError(r.error_code, r.error_message ?? 'send refused'));
        else p.resolve({ id: r.id!, createdAt: r.created_at!, replayed: r.replayed === true });
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
