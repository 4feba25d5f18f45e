// Local push gateway: records every publish (in memory, and optionally as JSON lines in a file so a
// restarted process's deliveries can be checked). Tests can disable endpoints or inject failures.
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EndpointDisabledError, pushMessage, type Platform, type PushGateway } from './types.js';

export interface SinkRecord {
  endpointArn: string;
  message: string;
  at: string;
}

export class LocalPushSink implements PushGateway {
  readonly delivered: SinkRecord[] = [];
  private readonly disabled = new Set<string>();
  /** When set, publish throws this error (transient failure simulation). */
  failWith: Error | undefined;

  constructor(private readonly file?: string) {}

  static endpointFor(platform: Platform, token: string): string {
    return `local:endpoint/${platform}/${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
  }

  async registerEndpoint(platform: Platform, token: string): Promise<string> {
    const arn = LocalPushSink.endpointFor(platform, token);
    this.disabled.delete(arn);
    return arn;
  }

  disableToken(platform: Platform, token: string): void {
    this.disabled.add(LocalPushSink.endpointFor(platform, token));
  }

  async publish(endpointArn: string, conversationId: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.disabled.has(endpointArn)) throw new EndpointDisabledError();
    const record = { endpointArn, message: pushMessage(conversationId), at: new Date().toISOString() };
    this.delivered.push(record);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}
