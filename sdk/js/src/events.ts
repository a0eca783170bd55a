import type { JsonValue } from '../../../shared/rules';
import { describe, type Transport } from './http';
import type { QuietLogger } from './log';
import type { Runtime } from './runtime';

/** An event of `POST /api/v1/events` (SPEC §2.5). */
export interface SwitchyardEvent {
  readonly eventId: string;
  readonly type: 'exposure' | 'track' | 'error' | 'latency';
  readonly name: string;
  readonly unitId: string;
  readonly timestamp: string;
  readonly value?: number;
  readonly properties?: Readonly<Record<string, JsonValue>>;
  /** error / latency: the flag and the variation served (the safety monitor's input). */
  readonly flagKey?: string;
  readonly variation?: string;
  /** exposure: the experiment and the variant. */
  readonly experimentKey?: string;
  readonly variant?: string;
}

export interface EventOptions {
  /**
   * How often queued events are sent.
   * @default 5000
   */
  readonly flushIntervalMs?: number;
  /**
   * Events per request; also the queue length that sends at once rather than wait for the interval.
   * @default 500 (the API's limit, SPEC §2.5)
   */
  readonly maxBatchSize?: number;
  /**
   * Events held while the API cannot take them; beyond it the oldest are dropped (and counted).
   * @default 10000
   */
  readonly maxQueueSize?: number;
  /**
   * How long close() keeps trying to send what is queued.
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
}

/** What happened to the events this client was given. */
export interface EventStats {
  /** Waiting to be sent (including events sent again). */
  readonly queued: number;
  /** Accepted by the API. */
  readonly delivered: number;
  /** Dropped because the queue was full (the oldest go first). */
  readonly dropped: number;
  /** Refused by the API for good (invalid, too large, too old…) or never sendable (no unit, after close()). */
  readonly refused: number;
  /** Events sent again after a 5xx, a 429, a network error or a NOT_STORED refusal. */
  readonly retried: number;
}

/** SPEC §2.5: at most 32 KiB per event and 1 MiB per request. */
const MAX_EVENT_BYTES = 32 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;
const ENVELOPE_BYTES = 16;
const MAX_BATCH = 500;

interface Queued {
  readonly event: SwitchyardEvent;
  readonly bytes: number;
}

interface IngestAnswer {
  readonly accepted?: readonly string[];
  readonly refused?: readonly {
    readonly eventId?: string;
    readonly code: string;
    readonly message: string;
  }[];
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most events need no encoding to know they fit.
  return text.length * 3 <= MAX_EVENT_BYTES ? text.length : encoder.encode(text).length;
}

/**
 * The event pipeline: a bounded queue (the oldest dropped first, and counted), sent in batches of at most 500
 * events and 1 MiB on an interval or when a batch is full, one request at a time. A batch the API could not
 * take (network, timeout, 5xx, 429 — after the transport's own retries) and events it refused as NOT_STORED go
 * back to the front of the queue with the same eventId, so a retry the API did store after all counts once;
 * other refusals are final. close() sends what is left, within its deadline.
 */
export class EventQueue {
  private queue: Queued[] = [];
  private flushing: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private closed = false;
  /** After a batch the API could not take, a full batch waits for the interval rather than send at once. */
  private pausedUntil = 0;
  private counts = { delivered: 0, dropped: 0, refused: 0, retried: 0 };
  private readonly flushIntervalMs: number;
  private readonly maxBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly closeTimeoutMs: number;

  constructor(
    private readonly transport: Transport,
    options: EventOptions,
    private readonly runtime: Runtime,
    private readonly log: QuietLogger,
  ) {
    this.flushIntervalMs = Math.max(10, options.flushIntervalMs ?? 5000);
    this.maxBatchSize = Math.min(MAX_BATCH, Math.max(1, options.maxBatchSize ?? MAX_BATCH));
    this.maxQueueSize = Math.max(1, options.maxQueueSize ?? 10_000);
    this.closeTimeoutMs = Math.max(0, options.closeTimeoutMs ?? 5000);
    this.arm();
  }

  stats(): EventStats {
    return { queued: this.queue.length, ...this.counts };
  }

  enqueue(event: SwitchyardEvent): void {
    if (this.closed) {
      this.counts.refused++;
      this.log.warn('closed', 'an event after close() was not sent');
      return;
    }
    const bytes = byteLength(JSON.stringify(event));
    if (bytes > MAX_EVENT_BYTES) {
      this.counts.refused++;
      this.log.warn('too-large', `an event of ${bytes} bytes was not sent (at most ${MAX_EVENT_BYTES})`);
      return;
    }
    this.queue.push({ event, bytes });
    this.trim();
    if (
      this.queue.length >= this.maxBatchSize &&
      this.flushing === null &&
      this.runtime.now() >= this.pausedUntil
    ) {
      void this.flush();
    }
  }

  /** Counts an event that could not be built (no unit, no name) as refused. */
  discard(reason: string): void {
    this.counts.refused++;
    this.log.warn('discarded', `an event was not sent: ${reason}`);
  }

  /** Sends what is queued now (one pass: what the API cannot take stays queued for the next). */
  flush(): Promise<void> {
    this.flushing ??= this.sendQueued().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Stops the interval and keeps sending until the queue is empty or `closeTimeoutMs` has passed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    const deadline = this.runtime.now() + this.closeTimeoutMs;
    for (let attempt = 1; this.queue.length > 0; attempt++) {
      await this.flush();
      if (this.queue.length === 0) break;
      const pause = Math.max(this.transport.waitMs(), this.transport.backoffMs(attempt));
      if (this.runtime.now() + pause >= deadline) break;
      await this.runtime.sleep(pause);
    }
    if (this.queue.length > 0) {
      this.log.error('lost', `${this.queue.length} events not delivered before close() gave up`);
      this.counts.dropped += this.queue.length;
      this.queue = [];
    }
  }

  private arm(): void {
    if (this.closed) return;
    this.cancelTimer = this.runtime.schedule(this.flushIntervalMs, () => {
      void this.flush().finally(() => this.arm());
    });
  }

  /** Drops the oldest events beyond the bound. */
  private trim(): void {
    const excess = this.queue.length - this.maxQueueSize;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.counts.dropped += excess;
      this.log.warn('dropped', `event queue full (${this.maxQueueSize}): dropped the oldest events`);
    }
  }

  private takeBatch(): Queued[] {
    let bytes = ENVELOPE_BYTES;
    let count = 0;
    while (count < this.queue.length && count < this.maxBatchSize) {
      const next = this.queue[count]!.bytes + 1;
      if (count > 0 && bytes + next > MAX_REQUEST_BYTES) break;
      bytes += next;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /** Puts events back at the front (they are the oldest), within the bound. */
  private requeue(batch: readonly Queued[]): void {
    this.pausedUntil = this.runtime.now() + Math.max(this.flushIntervalMs, this.transport.waitMs());
    this.counts.retried += batch.length;
    this.queue.unshift(...batch);
    this.trim();
  }

  private async sendQueued(): Promise<void> {
    // One pass over what is queued now: events queued meanwhile wait for the next flush.
    let budget = this.queue.length;
    while (budget > 0 && this.queue.length > 0) {
      const batch = this.takeBatch();
      budget -= batch.length;
      if (!(await this.sendBatch(batch))) return;
    }
  }

  /** Sends one batch; false when the API could not take it (the rest waits for the next flush). */
  private async sendBatch(batch: readonly Queued[]): Promise<boolean> {
    const outcome = await this.transport.send('POST', '/api/v1/events', {
      body: { events: batch.map((q) => q.event) },
    });
    if (!outcome.ok) {
      this.log.warn('events-unavailable', `events not sent, will retry: ${outcome.message}`);
      this.requeue(batch);
      return false;
    }
    if (outcome.status !== 200) {
      // 400/401/403/413: this batch will never be taken as it is.
      this.counts.refused += batch.length;
      this.log.error('events-refused', `the API refused ${batch.length} events (${outcome.status})`);
      return true;
    }
    let answer: IngestAnswer;
    try {
      answer = JSON.parse(outcome.text) as IngestAnswer;
    } catch (error) {
      this.requeue(batch);
      this.log.warn('events-answer', `unreadable answer to events, will retry: ${describe(error)}`);
      return false;
    }
    const notStored = new Set<string>();
    for (const refusal of answer.refused ?? []) {
      if (refusal.code === 'NOT_STORED' && refusal.eventId !== undefined) notStored.add(refusal.eventId);
      else {
        this.counts.refused++;
        this.log.warn(
          `refused-${refusal.code}`,
          `an event was refused (${refusal.code}): ${refusal.message}`,
        );
      }
    }
    this.counts.delivered += answer.accepted?.length ?? 0;
    if (notStored.size === 0) return true;
    this.requeue(batch.filter((q) => notStored.has(q.event.eventId)));
    return false;
  }
}
