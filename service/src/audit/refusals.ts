// Refusals without flooding the audit trail. A client without credentials (junk tokens, unknown /v1 paths) or one
// over its rate limit could otherwise write one audit row per request. Per source (the address, or the user when
// signed in) and status, the first refusal in a window is written at once, as before; later ones are only counted,
// and one row with the count ("request.refused.repeated", detail {count, firstAt, lastAt}) is written when the
// window closes. In memory, per instance: a crash loses at most one window's counts (never the first row).
import type { AuditEntry } from './audit.js';

export interface RefusalSource {
  /** 'ip:<address>' or 'user:<uuid>'. */
  key: string;
  /** The signed-in user, for the summary row's actor (audit rows name their actor). */
  userId?: string;
}

interface Bucket {
  source: RefusalSource;
  sample: AuditEntry;
  windowStart: number;
  count: number;
  firstAt?: number;
  lastAt?: number;
}

/** More distinct sources than this in one window share one overflow bucket per status (memory stays bounded). */
const MAX_BUCKETS = 10_000;

export class RefusalAggregator {
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly windowMs: number,
    private readonly write: (entry: AuditEntry, userId: string | undefined) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts closing windows in the background (a no-op when aggregation is off). */
  start(): void {
    if (this.windowMs === 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(false), Math.max(1000, Math.min(this.windowMs, 60_000)));
    this.timer.unref();
  }

  /**
   * Records a refusal. Returns true when the caller should write its audit row now (the first in the window, or
   * aggregation is off); false when it was counted for the window's summary.
   */
  record(source: RefusalSource, entry: AuditEntry): boolean {
    if (this.windowMs === 0) return true;
    const at = this.now();
    let key = `${source.key}|${entry.status}`;
    let bucket = this.buckets.get(key);
    if (bucket && at - bucket.windowStart >= this.windowMs) {
      this.close(key, bucket);
      bucket = undefined;
    }
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) {
        key = `overflow|${entry.status}`;
        const overflow = this.buckets.get(key);
        if (overflow) return this.count(overflow, at);
        source = { key: 'overflow' };
      }
      this.buckets.set(key, { source, sample: entry, windowStart: at, count: 0 });
      return true;
    }
    return this.count(bucket, at);
  }

  private count(bucket: Bucket, at: number): false {
    bucket.count++;
    bucket.firstAt ??= at;
    bucket.lastAt = at;
    return false;
  }

  /** Writes the summaries of closed windows (all windows when `all`, e.g. at shutdown). */
  flush(all: boolean): Promise<void> {
    const at = this.now();
    for (const [key, bucket] of this.buckets) {
      if (all || at - bucket.windowStart >= this.windowMs) this.close(key, bucket);
    }
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush(true);
  }

  private close(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    if (bucket.count === 0) return;
    const entry: AuditEntry = {
      action: 'request.refused.repeated',
      targets: [],
      ip: bucket.source.key === 'overflow' ? undefined : bucket.sample.ip,
      userAgent: bucket.sample.userAgent,
      outcome: bucket.sample.outcome,
      status: bucket.sample.status,
      requestId: bucket.sample.requestId,
      detail: {
        count: bucket.count,
        firstAt: new Date(bucket.firstAt!).toISOString(),
        lastAt: new Date(bucket.lastAt!).toISOString(),
        ...(bucket.source.key === 'overflow' ? { sources: 'many' } : {}),
      },
    };
    this.flushing = this.flushing.then(() => this.write(entry, bucket.source.userId).catch(this.onError));
  }
}
