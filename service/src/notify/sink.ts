// Local notifier: records every notice (in memory, and optionally as JSON lines in a file).
// Tests can inject a failure.
import { appendFileSync } from 'node:fs';
import type { BreakGlassNotice, Notifier } from './types.js';

export class LocalNotifySink implements Notifier {
  readonly sent: BreakGlassNotice[] = [];
  /** When set, notify throws this error (an unreachable topic). */
  failWith: Error | undefined;

  constructor(private readonly file?: string) {}

  async notify(notice: BreakGlassNotice): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(notice);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(notice)}\n`);
  }
}
