// Ops notices published to the kit's ops SNS topic (its subscribers are the organisation contact).
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { BreakGlassNotice, Notifier } from './types.js';

export type SnsPublisher = Pick<SNSClient, 'send'>;

/** The caller holds a transaction open while it waits, so a stuck publish must give up quickly. */
const PUBLISH_TIMEOUT_MS = 5000;

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SnsPublisher,
    private readonly topicArn: string,
  ) {}

  async notify(notice: BreakGlassNotice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: 'Break-glass access opened',
        Message: JSON.stringify(notice),
      }),
      { abortSignal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS) },
    );
  }
}
