// The event stream's server side on one instance: the open sockets, one LISTEN connection that wakes them, and the
// delivery loop. Events live in Postgres (hmk.events); a notification only says "user X has new events", and each
// socket then reads its user's events after the last id it sent, with access re-checked in the same statement
// (hmk.stream_events). So a notification lost to a reconnect costs nothing: the next read catches up.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Envelope } from '../crypto/envelope.js';
import { safeError } from '../logger.js';

/** Close codes the stream uses (documented in the service README, "Real-time"). */
export const CloseCode = {
  goingAway: 1001,
  internalError: 1011,
  idle: 4001,
  accountClosed: 4002,
  slowReader: 4008,
} as const;

export interface StreamSocket {
  userId: string;
  sessionId: string;
  roles: string[];
  /** The last event id sent (the client's after=, or the newest id when it connected). */
  lastId: string;
  ws: WebSocket;
  /** Why it was closed, once it was (for the close audit row). */
  closed?: { code: number; reason: string };
  reading: boolean;
  readAgain: boolean;
  /** False from a ping until its pong. */
  alive?: boolean;
  /** Where the socket was opened from, for the close audit row. */
  origin: { ip: string | undefined; userAgent: string | undefined; requestId: string };
}

interface EventRow {
  id: string;
  type: string;
  conversation_id: string;
  message_id: string | null;
  actor_id: string;
  at: Date;
  scheme: 'kms-envelope' | 'e2e' | null;
  key_id: string | null;
  encrypted_key: Buffer | null;
  iv: Buffer | null;
  ciphertext: Buffer | null;
}

export interface HubOptions {
  maxBufferedBytes: number;
  /** How often the open sockets' sessions are checked for idle logoff and account closure. */
  sweepMs?: number;
  /**
   * A ping to every socket this often: the traffic keeps the load balancer (idle timeout 60 s) from cutting a quiet
   * stream, and a socket that has not answered the previous ping is dead and is terminated.
   */
  pingMs: number;
}

const PAGE = 200;

/** How long a socket slot taken by reserve() waits for its socket. */
const RESERVATION_MS = 10_000;

export class EventHub {
  private readonly reserved = new Map<string, number[]>();
  private readonly byUser = new Map<string, Set<StreamSocket>>();
  private listener: pg.Client | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectListener: () => pg.Client,
    private readonly envelope: Envelope,
    private readonly opts: HubOptions,
    private readonly log: Pick<Logger, 'error' | 'warn'>,
    /** Told after each message.created handed to a recipient's socket (delivery receipts). */
    private readonly onDelivered: (s: StreamSocket, messageIds: string[]) => Promise<void> = async () => undefined,
    /** Told once per socket when it closes, with the code and reason (the close audit row). */
    private readonly onClosed: (s: StreamSocket) => Promise<void> = async () => undefined,
  ) {}

  /** Close audit rows still being written (stop() waits for them before the pools end). */
  private readonly closing = new Set<Promise<void>>();

  async start(): Promise<void> {
    await this.listen();
    const sweep = () => {
      this.sweepTimer = setTimeout(() => {
        void this.sweep().finally(() => {
          if (!this.stopped) sweep();
        });
      }, this.opts.sweepMs ?? 1000);
    };
    sweep();
    this.pingTimer = setInterval(() => this.ping(), this.opts.pingMs);
  }

  private ping(): void {
    for (const set of this.byUser.values()) {
      for (const s of set) {
        if (s.alive === false) {
          s.closed ??= { code: 1006, reason: 'no answer to ping' };
          s.ws.terminate();
          continue;
        }
        s.alive = false;
        s.ws.ping();
      }
    }
  }

  /** Open sockets of one user on this instance. */
  count(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /**
   * Takes one of a user's `max` socket slots at once, before the upgrade's awaits: counted only at add(), a burst
   * of upgrades all passed the limit (the client sees 'open' before the server has added the socket). A slot not
   * turned into a socket by add() (an upgrade that failed half-way) lapses after RESERVATION_MS.
   */
  reserve(userId: string, max: number): boolean {
    const now = Date.now();
    const live = (this.reserved.get(userId) ?? []).filter((until) => until > now);
    if (this.count(userId) + live.length >= max) return false;
    live.push(now + RESERVATION_MS);
    this.reserved.set(userId, live);
    return true;
  }

  /** Gives back a slot taken by reserve() (the upgrade failed, or add() used it). */
  release(userId: string): void {
    const live = this.reserved.get(userId);
    live?.shift();
    if (live && live.length === 0) this.reserved.delete(userId);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  add(s: StreamSocket): void {
    this.release(s.userId);
    let set = this.byUser.get(s.userId);
    if (!set) this.byUser.set(s.userId, (set = new Set()));
    set.add(s);
    s.ws.on('pong', () => {
      s.alive = true;
    });
    s.ws.on('close', (code, reason) => {
      s.closed ??= { code, reason: reason.toString() };
      this.remove(s);
      const written = this.onClosed(s).finally(() => this.closing.delete(written));
      this.closing.add(written);
    });
    this.wake(s);
  }

  /** Closes one socket with a code and a reason the client can show. */
  close(s: StreamSocket, code: number, reason: string): void {
    if (s.closed) return;
    s.closed = { code, reason };
    s.ws.close(code, reason);
    // A reader that does not answer the close handshake (e.g. a slow one) is cut off.
    setTimeout(() => s.ws.terminate(), 2000).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.reconnectTimer);
    const open = [...this.byUser.values()].flatMap((set) => [...set]);
    const gone = open.map((s) => new Promise((resolve) => s.ws.once('close', resolve)));
    for (const s of open) this.close(s, CloseCode.goingAway, 'server restarting: reconnect with after=');
    await Promise.all(gone);
    await Promise.all([...this.closing]);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
  }

  private remove(s: StreamSocket): void {
    const set = this.byUser.get(s.userId);
    set?.delete(s);
    if (set?.size === 0) this.byUser.delete(s.userId);
  }

  private async listen(): Promise<void> {
    const client = this.connectListener();
    client.on('notification', (n) => {
      if (n.payload) for (const s of this.byUser.get(n.payload) ?? []) this.wake(s);
    });
    const retry = () => {
      if (this.stopped || this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.reconnectTimer = setTimeout(() => {
        this.listen().catch((err) => {
          this.log.warn({ err: safeError(err) }, 'event listener reconnect failed');
          this.reconnectTimer = setTimeout(retry, 1000);
        });
      }, 1000);
    };
    client.on('error', (err) => {
      this.log.warn({ err: safeError(err) }, 'event listener connection lost');
      retry();
    });
    client.on('end', retry);
    await client.connect();
    await client.query('LISTEN hmk_events');
    this.listener = client;
    // Notifications sent while no listener was connected are lost: every socket reads once to catch up.
    for (const set of this.byUser.values()) for (const s of set) this.wake(s);
  }

  /** Reads and sends the socket's new events; a wake during a read makes it read once more. */
  wake(s: StreamSocket): void {
    if (s.closed) return;
    if (s.reading) {
      s.readAgain = true;
      return;
    }
    s.reading = true;
    void this.drain(s).finally(() => {
      s.reading = false;
    });
  }

  private async drain(s: StreamSocket): Promise<void> {
    try {
      do {
        s.readAgain = false;
        let rows: EventRow[];
        do {
          if (s.closed) return;
          ({ rows } = await this.pool.query<EventRow>({
            name: 'hmk-stream-events',
            text: 'SELECT * FROM hmk.stream_events($1, $2, $3, $4, $5)',
            values: [s.userId, s.sessionId, s.roles, s.lastId, PAGE],
          }));
          const delivered: string[] = [];
          for (const row of rows) {
            if (s.closed) return;
            // Back-pressure: a reader that lets this much pile up is disconnected rather than buffered without bound.
            if (s.ws.bufferedAmount > this.opts.maxBufferedBytes) {
              this.close(s, CloseCode.slowReader, 'reader too slow: reconnect with after= to catch up');
              return;
            }
            s.ws.send(JSON.stringify(await this.frame(row)));
            s.lastId = row.id;
            if (row.type === 'message.created' && row.actor_id !== s.userId) delivered.push(row.message_id!);
          }
          if (delivered.length) {
            await this.onDelivered(s, delivered).catch((err) =>
              this.log.error({ err: safeError(err) }, 'delivery receipt failed'),
            );
          }
        } while (rows.length === PAGE);
      } while (s.readAgain);
    } catch (err) {
      const message = (err as { message?: string }).message ?? '';
      const code = (err as { code?: string }).code;
      if (code === 'HM401') {
        this.close(
          s,
          message.includes('closed') ? CloseCode.accountClosed : CloseCode.idle,
          message.includes('closed') ? 'account closed' : 'session expired due to inactivity: sign in again',
        );
      } else {
        this.log.error({ err: safeError(err) }, 'event stream read failed');
        this.close(s, CloseCode.internalError, 'event stream read failed: reconnect with after=');
      }
    }
  }

  private async frame(row: EventRow): Promise<Record<string, unknown>> {
    const base = { id: Number(row.id), type: row.type, conversationId: row.conversation_id, at: row.at.toISOString() };
    switch (row.type) {
      case 'message.created':
        return { ...base, messageId: row.message_id, senderId: row.actor_id, body: await this.body(row) };
      case 'message.delivered':
      case 'message.read':
        return { ...base, messageId: row.message_id, userId: row.actor_id };
      case 'message.recalled':
        return { ...base, messageId: row.message_id, senderId: row.actor_id };
      default:
        return { ...base, createdBy: row.actor_id };
    }
  }

  /** The body exactly when GET .../messages would return it (same RLS); null otherwise. */
  private async body(row: EventRow): Promise<string | null> {
    if (!row.ciphertext || !row.scheme) return null;
    if (row.scheme === 'e2e') return row.ciphertext.toString('utf8');
    return this.envelope.open(row.conversation_id, {
      keyId: row.key_id!,
      encryptedKey: row.encrypted_key!,
      iv: row.iv!,
      ciphertext: row.ciphertext,
    });
  }

  /** Closes the sockets whose session went idle or whose account was closed. */
  private async sweep(): Promise<void> {
    const all = [...this.byUser.values()].flatMap((set) => [...set]);
    try {
      if (all.length) {
        const { rows } = await this.pool.query<{ session_id: string; reason: string }>(
          'SELECT * FROM hmk.stale_streams($1, $2)',
          [all.map((s) => s.userId), all.map((s) => s.sessionId)],
        );
        const stale = new Map(rows.map((r) => [r.session_id, r.reason]));
        for (const s of all) {
          const reason = stale.get(s.sessionId);
          if (reason === 'account closed') this.close(s, CloseCode.accountClosed, 'account closed');
          else if (reason) this.close(s, CloseCode.idle, 'session expired due to inactivity: sign in again');
        }
      }
    } catch (err) {
      this.log.error({ err: safeError(err) }, 'event stream sweep failed');
    }
  }
}
