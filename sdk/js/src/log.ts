/** Where the SDK reports what went wrong; `console` unless the application passes its own. */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/**
 * Says each kind of trouble at most once per interval: an API that is down fails every evaluation, and the
 * application's log should get one line a minute about it, not one per request.
 */
export class QuietLogger {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly intervalMs = 60_000,
  ) {}

  warn(kind: string, message: string, ...details: unknown[]): void {
    if (this.due(kind)) this.call(() => this.logger.warn(`[switchyard] ${message}`, ...details));
  }

  error(kind: string, message: string, ...details: unknown[]): void {
    if (this.due(kind)) this.call(() => this.logger.error(`[switchyard] ${message}`, ...details));
  }

  private due(kind: string): boolean {
    const now = this.now();
    const last = this.last.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (this.last.size > 100) this.last.clear();
    this.last.set(kind, now);
    return true;
  }

  /** A logger that throws must not reach the application through the SDK. */
  private call(log: () => void): void {
    try {
      log();
    } catch {
      // nothing left to tell
    }
  }
}
