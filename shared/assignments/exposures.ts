import { randomUUID } from 'node:crypto';
import { logger } from '../observability';
import type { PublishOptions, PublishResult } from '../events/publisher';
import type { ExposureEvent, SwitchyardEvent } from '../events/schema';
import { exposureEvent, type Exposure } from '../rules';

export type { Exposure };

/** Where exposures go: one call per request. */
export interface ExposureLog {
  log(exposures: readonly Exposure[]): Promise<void>;
}

/**
 * The one log line that counts exposures as lost: the `ExposuresLost` metric filter (lib/constructs/monitoring.ts)
 * matches this message and sums the line's `count`, and its alarm fires from the first one. Every exposure that
 * will not reach the stream is logged here, whatever the reason.
 */
export const EXPOSURES_LOST_MESSAGE = 'exposures not delivered';

function logLost(count: number, reason: string, detail: Record<string, unknown> = {}): void {
  if (count > 0) logger.error(EXPOSURES_LOST_MESSAGE, { count, reason, ...detail });
}

/** What puts events on the stream (shared/events/publisher.ts's EventPublisher). */
export interface ExposurePublisher {
  publish(events: readonly SwitchyardEvent[], options?: PublishOptions): Promise<PublishResult>;
}

export interface BufferedExposureLogOptions {
  /**
   * `background`: a request only adds its exposures to the buffer and answers; a sender puts them on the stream
   * while the environment is warm, and `shutdown()` sends or counts what is left. `awaited`: each request waits
   * until the sender has gone past its exposures (for an environment that gets no shutdown signal).
   * @default 'background'
   */
  readonly mode?: 'background' | 'awaited';
  /** At most this many exposures wait; past it the oldest are dropped and counted as lost. @default 10_000 */
  readonly maxBuffered?: number;
  /**
   * From this many waiting, a request waits (at most `backpressureMs`) for the send in progress: traffic faster
   * than the stream slows down before the bound drops anything. @default 2_000
   */
  readonly highWaterMark?: number;
  /** How long backpressure (and a request in `awaited` mode) waits for the stream. @default 500 */
  readonly backpressureMs?: number;
  /** Exposures taken per send: one PutRecords (500 records) each. @default 500 */
  readonly batchSize?: number;
  /**
   * The publisher's policy for a background send. Only refused records are sent again. @default 3 attempts and
   * no deadline: nobody waits, and a frozen environment (between invocations) must not use the budget up.
   */
  readonly publish?: PublishOptions;
  readonly now?: () => Date;
}

interface Batch {
  readonly events: readonly ExposureEvent[];
  /** Set by whoever accounts for the batch first: the sender (put or lost) or a shutdown whose deadline passed. */
  settled: boolean;
}

/**
 * Exposures as events on the Kinesis stream (SPEC §2.4: every assignment returned to a caller is logged), without
 * holding the answer for the stream. Each exposure gets its eventId and timestamp when it is logged; retries reuse
 * them, so downstream counts it once. Nothing disappears silently: every exposure is either put on the stream or
 * logged as lost (`EXPOSURES_LOST_MESSAGE` with its count) — refused past the retries, dropped as the oldest of a
 * full buffer, not confirmed when `shutdown()`'s deadline passes (counted lost even if Kinesis took it after), or
 * logged after shutdown. The publisher (and the Kinesis SDK) is made with the first exposure, not at cold start;
 * if it cannot be made, that batch is lost (counted) and the next one tries again.
 */
export class BufferedExposureLog implements ExposureLog {
  private readonly waiting: ExposureEvent[] = [];
  private readonly inFlight = new Set<Batch>();
  private sender: Promise<void> | null = null;
  private publisher: Promise<ExposurePublisher> | null = null;
  /** Set by shutdown(): sends from then on have this deadline (epoch ms); null while warm. */
  private deadline: number | null = null;
  private closed = false;
  private readonly options: Required<Omit<BufferedExposureLogOptions, 'now'>>;
  private readonly now: () => Date;

  constructor(
    private readonly createPublisher: () => Promise<ExposurePublisher>,
    options: BufferedExposureLogOptions = {},
  ) {
    this.options = {
      mode: options.mode ?? 'background',
      maxBuffered: options.maxBuffered ?? 10_000,
      highWaterMark: options.highWaterMark ?? 2_000,
      backpressureMs: options.backpressureMs ?? 500,
      batchSize: options.batchSize ?? 500,
      publish: options.publish ?? { maxAttempts: 3, deadlineMs: Infinity },
    };
    this.now = options.now ?? (() => new Date());
  }

  /** Exposures waiting to be sent (those of a send in progress excluded). */
  get buffered(): number {
    return this.waiting.length;
  }

  async log(exposures: readonly Exposure[]): Promise<void> {
    if (exposures.length === 0) return;
    const timestamp = this.now().toISOString();
    const events = exposures.map((e) => exposureEvent(e, randomUUID(), timestamp));
    if (this.closed) {
      logLost(events.length, 'logged after shutdown');
      return;
    }
    if (this.options.mode === 'awaited') {
      // Its own batch, sent now: under concurrent requests, waiting for the whole buffer could take long.
      // The caller waits: today's hot-path policy (3 attempts within 500 ms).
      await this.sendBatch({ events, settled: false }, { deadlineMs: this.options.backpressureMs });
      return;
    }
    this.waiting.push(...events);
    const excess = this.waiting.length - this.options.maxBuffered;
    if (excess > 0) {
      this.waiting.splice(0, excess);
      logLost(excess, 'buffer full: oldest dropped', { maxBuffered: this.options.maxBuffered });
    }
    const sent = this.startSender();
    if (this.waiting.length >= this.options.highWaterMark) await within(sent, this.options.backpressureMs);
  }

  /**
   * Send what waits within `deadlineMs`, then count as lost whatever is not confirmed (what waits, and the send in
   * progress). Exposures logged afterwards are counted as lost at once. Lambda's SIGTERM and the local platform's
   * stop() call this.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    this.deadline = Date.now() + deadlineMs;
    await within(this.startSender(), deadlineMs);
    for (const batch of this.inFlight) {
      if (batch.settled) continue;
      batch.settled = true;
      logLost(batch.events.length, 'shutdown deadline: send not confirmed', { deadlineMs });
    }
    logLost(this.waiting.splice(0).length, 'shutdown deadline: not sent', { deadlineMs });
  }

  /** The sender, started if it is not running; it resolves once nothing waits. */
  private startSender(): Promise<void> {
    this.sender ??= this.send();
    return this.sender;
  }

  private async send(): Promise<void> {
    // Yield first, so that `sender` is assigned before the loop can end and clear it.
    await Promise.resolve();
    for (;;) {
      if (this.waiting.length === 0 || (this.deadline !== null && Date.now() >= this.deadline)) {
        this.sender = null;
        return;
      }
      await this.sendBatch({ events: this.waiting.splice(0, this.options.batchSize), settled: false });
    }
  }

  /** Never throws: the batch ends up put or counted as lost. */
  private async sendBatch(batch: Batch, override: PublishOptions = {}): Promise<void> {
    this.inFlight.add(batch);
    let failed: PublishResult['failed'] | null = null;
    let error: string | undefined;
    try {
      const publisher = await (this.publisher ??= this.createPublisher()).catch((e: unknown) => {
        // The SDK would not load: this batch is lost (counted), the next one tries again.
        this.publisher = null;
        throw e;
      });
      const options = {
        ...this.options.publish,
        ...override,
        ...(this.deadline === null ? {} : { deadlineMs: Math.max(0, this.deadline - Date.now()) }),
      };
      failed = (await publisher.publish(batch.events, options)).failed;
    } catch (e) {
      error = (e as Error).message;
    } finally {
      this.inFlight.delete(batch);
    }
    if (batch.settled) return;
    batch.settled = true;
    if (failed === null) logLost(batch.events.length, 'stream unavailable', { error });
    else logLost(failed.length, 'refused after retries', { firstError: failed[0]?.error });
  }
}

/** Waits for `promise`, but at most `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
