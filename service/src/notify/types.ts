// Notices to the organisation's operations contact (the kit's ops SNS topic). A notice names ids and
// times only: never a reason, a name or any other PHI, because it leaves the PHI boundary (e-mail, chat).

/** A break-glass grant was opened (P04, 164.312(a)(2)(ii)). */
export interface BreakGlassNotice {
  event: 'break_glass.open';
  grantId: string;
  conversationId: string;
  /** Who opened it (directory id, not a name). */
  userId: string;
  openedAt: string;
  expiresAt: string;
}

export interface Notifier {
  /** Resolves once the notice is accepted for delivery; rejects otherwise. */
  notify(notice: BreakGlassNotice): Promise<void>;
}

/** The notice could not be handed over; callers that must not act unseen refuse instead. */
export class NotifyError extends Error {
  constructor(cause: unknown) {
    super('ops notice could not be sent', { cause });
    this.name = 'NotifyError';
  }
}
