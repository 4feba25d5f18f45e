// The retention job. Each run:
//   1. deletes attachment objects queued at least hmk.object_grace() ago (6 minutes: the longest presigned
//      upload URL plus a minute). Every deleted attachment row queues its key (a trigger in migration 007),
//      and the object waits that long because an upload URL issued for it may still store the file until then;
//      deleting at once would let that later upload stay forever. A crash leaves keys queued for the next run;
//   2. deletes expired messages in batches (hmk.retention_delete_batch: metadata, body, outbox rows, attachment
//      rows, one count-only audit row per conversation); their objects go in a run at least 6 minutes later;
//   3. crypto-shreds: destroys the key-store key of every key period that is fully expired (end of the period +
//      retention + 1 day), not under a legal hold and has no body left, with one high-severity audit row each.
// The database decides what has expired; this class moves keys and objects. Every container may run it:
// batches are claimed with FOR UPDATE SKIP LOCKED and shredding takes an advisory lock, so concurrent runs
// share the work and never delete anything twice. Both wait for a legal hold being placed (migration 007).
// Logs carry counts only.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AttachmentStore } from '../attachments/types.js';
import type { KeyStore } from '../crypto/key-store.js';
import { withTransaction } from '../db/pool.js';
import { PeriodicTask } from '../periodic.js';

/** How often the job runs and how much a batch takes. What has expired is the database's own setting. */
export interface RetentionOptions {
  intervalSeconds: number;
  batchSize: number;
}

export interface RetentionSummary {
  messages: number;
  attachments: number;
  objectsDeleted: number;
  keysDestroyed: number;
}

export class RetentionJob {
  private readonly task: PeriodicTask;

  /** `pool` must run as hmk_retention (see createRolePool), which can only call the retention functions. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly keyStore: KeyStore,
    private readonly objects: Pick<AttachmentStore, 'deleteObjects'>,
    private readonly opts: RetentionOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {
    this.task = new PeriodicTask(
      () => this.runOnce(),
      opts.intervalSeconds * 1000,
      (err) =>
        this.log.error({ err: { type: err.name, code: (err as { code?: string }).code } }, 'retention run failed'),
    );
  }

  start(): void {
    this.task.start();
  }

  /** Stops scheduling and waits for a run in progress (it ends after its current batch). */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One full run; returns what it did. Also the hook for tests and the benchmark. */
  async runOnce(): Promise<RetentionSummary> {
    const run = randomUUID();
    const summary: RetentionSummary = { messages: 0, attachments: 0, objectsDeleted: 0, keysDestroyed: 0 };
    summary.objectsDeleted += await this.deleteQueuedObjects();
    let from: string | null = null;
    for (;;) {
      const { rows }: { rows: { conversation_id: string; messages: number; attachments: number }[] } =
        await this.pool.query(
          'SELECT conversation_id, messages, attachments FROM hmk.retention_delete_batch($1, $2, $3)',
          [from, this.opts.batchSize, run],
        );
      const messages = rows.reduce((n, r) => n + r.messages, 0);
      const attachments = rows.reduce((n, r) => n + r.attachments, 0);
      summary.messages += messages;
      summary.attachments += attachments;
      // A short batch means nothing expired is left (or another job holds the rest). A full one may have
      // stopped inside its last conversation, so the next batch starts there.
      if (messages < this.opts.batchSize || this.task.stopping) break;
      from = rows[rows.length - 1].conversation_id;
    }
    summary.keysDestroyed = await this.shred(run);
    if (summary.messages || summary.objectsDeleted || summary.keysDestroyed)
      this.log.info({ run, ...summary }, 'retention run');
    return summary;
  }

  /**
   * Deletes queued attachment objects old enough that no upload URL for them is still valid (the database
   * decides: hmk.retention_claim_objects). The queue rows stay locked while the store deletes the objects and are
   * removed in the same transaction afterwards; if the store fails (or the process dies) they stay queued.
   */
  private async deleteQueuedObjects(): Promise<number> {
    let deleted = 0;
    try {
      for (;;) {
        const n = await withTransaction(this.pool, async (c) => {
          const { rows } = await c.query<{ key: string }>('SELECT k AS key FROM hmk.retention_claim_objects($1) AS k', [
            this.opts.batchSize,
          ]);
          if (rows.length === 0) return 0;
          const keys = rows.map((r) => r.key);
          await this.objects.deleteObjects(keys);
          await c.query('SELECT hmk.retention_objects_deleted($1)', [keys]);
          return keys.length;
        });
        deleted += n;
        if (n < this.opts.batchSize) break;
      }
    } catch (err) {
      this.log.warn(
        { err: { type: (err as Error).name } },
        'attachment object deletion failed; queued for the next run',
      );
    }
    return deleted;
  }

  /** Destroys the keys of fully expired periods; returns how many periods were shredded. */
  private async shred(run: string): Promise<number> {
    let destroyed = 0;
    let after: string | null = null;
    for (;;) {
      const { count, last } = await withTransaction(this.pool, async (c) => {
        // Holds the shredding advisory lock to commit; returns nothing when another job holds it.
        const { rows } = await c.query<{ conversation_id: string; periods: string[] }>(
          'SELECT conversation_id, periods FROM hmk.retention_shred_due($1, $2)',
          [after, this.opts.batchSize],
        );
        let n = 0;
        for (const row of rows) {
          // Queued periods plus any other key of the conversation (e.g. one whose message was never stored).
          const candidates = [...new Set([...row.periods, ...(await this.keyStore.listPeriods(row.conversation_id))])];
          const ok = await c.query<{ p: string }>('SELECT p FROM hmk.retention_shreddable($1, $2) AS p', [
            row.conversation_id,
            candidates,
          ]);
          const periods = ok.rows.map((r) => r.p);
          // Key first, record second: a crash in between leaves the period queued, and destroying again is harmless.
          for (const p of periods) await this.keyStore.destroy(row.conversation_id, p);
          await c.query('SELECT hmk.retention_record_shred($1, $2, $3)', [row.conversation_id, periods, run]);
          n += periods.length;
        }
        return { count: n, last: rows.length === this.opts.batchSize ? rows[rows.length - 1].conversation_id : null };
      });
      destroyed += count;
      if (!last || this.task.stopping) return destroyed;
      after = last;
    }
  }
}
