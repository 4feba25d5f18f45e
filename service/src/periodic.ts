// Background work on a timer, for the push dispatcher and the retention job: one run at start, then one
// `intervalMs` after each run ends (runs never overlap), sooner on request; stop() waits for a run in progress.
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopRequested = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** True once stop() was called: work that loops over batches checks it between them. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  start(): void {
    this.started = true;
    this.stopRequested = false;
    this.schedule(0);
  }

  /** Runs after `delayMs`, unless the task is not started, is stopping, or a run is in progress. */
  runSoon(delayMs: number): void {
    if (this.started && !this.stopRequested && !this.running) this.schedule(delayMs);
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.work()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
          if (!this.stopRequested) this.schedule(this.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }
}
