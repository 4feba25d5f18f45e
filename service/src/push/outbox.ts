// Push dispatcher for the transactional outbox. Sends write outbox rows in the same transaction as
// the message, so a crash never loses a notification; delivery happens here, after commit, so a
// push failure never fails a send. Delivery is at-least-once: a claimed row is leased, and a crash
// before it is marked delivered makes it due again when the lease runs out.
import type pg from 'pg';
import type { Logger } from 'pino';
import { PeriodicTask } from '../periodic.js';
import { EndpointDisabledError, type PushGateway } from './types.js';

export interface DispatcherOptions {
  pollMs: number;
  leaseSeconds: number;
  maxAttempts: number;
  batchSize?: number;
  /** Repeat push until read: minutes after the last push (0 = off), and at most this many repeats. */
  repeatAfterMinutes?: number;
  repeatMax?: number;
}

// Due repeats are looked for at most this often (their unit is minutes).
const REPEAT_CHECK_MS = 30_000;

interface Claimed {
  id: string;
  conversation_id: string;
  recipient_id: string;
  attempts: number;
  /** The recipient's endpoints at claim time (device id and ARN). */
  devices: { id: string; arn: string }[];
}

// Sends kick the dispatcher; a short delay lets one cycle carry many messages.
const KICK_DELAY_MS = 10;

export class PushDispatcher {
  private readonly task: PeriodicTask;

  /** `pool` must run as hmk_push (see createRolePool): the only role that sees the outbox and devices. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly gateway: PushGateway,
    private readonly opts: DispatcherOptions,
    private readonly log: Pick<Logger, 'warn' | 'error' | 'info'>,
  ) {
    this.task = new PeriodicTask(
      () => this.drain(),
      opts.pollMs,
      (err) =>
        this.log.error({ err: { type: err.name, code: (err as { code?: string }).code } }, 'push dispatch failed'),
    );
  }

  start(): void {
    this.task.start();
  }

  /** Deliver soon (called after a send commits). */
  kick(): void {
    this.task.runSoon(KICK_DELAY_MS);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private lastRepeatCheck = 0;

  private async drain(): Promise<void> {
    if (this.opts.repeatAfterMinutes && Date.now() - this.lastRepeatCheck >= REPEAT_CHECK_MS) {
      this.lastRepeatCheck = Date.now();
      await this.queueRepeats();
    }
    while (!this.task.stopping && (await this.runOnce()) > 0);
  }

  /** Queues the repeat pushes now due (messages still unread); returns how many. */
  async queueRepeats(): Promise<number> {
    if (!this.opts.repeatAfterMinutes) return 0;
    const { rows } = await this.pool.query<{ n: number }>('SELECT hmk.queue_repeat_pushes($1, $2, $3) AS n', [
      this.opts.repeatAfterMinutes,
      this.opts.repeatMax ?? 2,
      1000,
    ]);
    return rows[0].n;
  }

  /** Claims and delivers one batch; returns how many outbox rows were handled. */
  async runOnce(): Promise<number> {
    // One statement: lease due rows (SKIP LOCKED, so several instances share the work) with their
    // recipients' endpoints.
    const { rows: claimed } = await this.pool.query<Claimed>({
      name: 'hmk-push-claim',
      text: `WITH claimed AS (
               UPDATE hmk.push_outbox o
                  SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $1)
                WHERE o.id IN (SELECT id FROM hmk.push_outbox
                                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                                ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.conversation_id, o.recipient_id, o.attempts)
             SELECT c.id, c.conversation_id, c.recipient_id, c.attempts,
                    coalesce((SELECT json_agg(json_build_object('id', d.id, 'arn', d.endpoint_arn))
                                FROM hmk.devices d WHERE d.user_id = c.recipient_id), '[]') AS devices
               FROM claimed c`,
      values: [this.opts.leaseSeconds, this.opts.batchSize ?? 100],
    });
    if (claimed.length === 0) return 0;

    const delivered: string[] = [];
    const retry: Claimed[] = [];
    const pruned = new Set<string>();
    for (const row of claimed) {
      let ok = true;
      for (const d of row.devices.filter((x) => !pruned.has(x.id))) {
        try {
          await this.gateway.publish(d.arn, row.conversation_id);
        } catch (err) {
          if (err instanceof EndpointDisabledError) {
            pruned.add(d.id);
          } else {
            ok = false;
            this.log.warn({ device: d.id, err: { type: (err as Error).name } }, 'push publish failed; will retry');
          }
        }
      }
      if (ok) delivered.push(row.id);
      else retry.push(row);
    }

    if (delivered.length) {
      await this.pool.query({
        name: 'hmk-push-delivered',
        // Locks in id order, as the retention job does before deleting outbox rows: a multi-row update in
        // another order deadlocked with it.
        text: `UPDATE hmk.push_outbox o SET delivered_at = now()
                 FROM (SELECT id FROM hmk.push_outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE) l
                WHERE o.id = l.id`,
        values: [delivered],
      });
    }
    for (const r of retry) {
      // Exponential backoff capped at 5 minutes; after the last attempt the row is marked failed.
      await this.pool.query(
        `UPDATE hmk.push_outbox SET next_attempt_at = now() + make_interval(secs => $2),
                failed_at = CASE WHEN attempts >= $3 THEN now() END
          WHERE id = $1`,
        [r.id, Math.min(300, 2 ** r.attempts), this.opts.maxAttempts],
      );
    }
    if (pruned.size) {
      await this.pool.query('DELETE FROM hmk.devices WHERE id = ANY($1::uuid[])', [[...pruned]]);
      this.log.info({ count: pruned.size }, 'pruned disabled push endpoints');
    }
    return claimed.length;
  }
}
