import { randomUUID } from 'node:crypto';
import { logger } from '../observability';
import type { EventPublisher } from '../events/publisher';
import type { ExposureEvent } from '../events/schema';
import { exposureEvent, type Exposure } from '../rules';

export type { Exposure };

/** Where exposures go: one call per request, so one PutRecords per request. */
export interface ExposureLog {
  log(exposures: readonly Exposure[]): Promise<void>;
}

/**
 * Exposures as events on the Kinesis stream (SPEC §2.4: every assignment returned to a caller is logged).
 * Each gets a fresh eventId here, once; the publisher's retries reuse it, so downstream counts it once. A
 * stream that stays unavailable past the publisher's deadline loses those exposures, loudly (an error log with
 * the count) rather than failing or stalling the caller's request.
 */
export class KinesisExposureLog implements ExposureLog {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async log(exposures: readonly Exposure[]): Promise<void> {
    if (exposures.length === 0) return;
    const timestamp = this.now().toISOString();
    const events: ExposureEvent[] = exposures.map((e) => exposureEvent(e, randomUUID(), timestamp));
    try {
      const { failed } = await this.publisher.publish(events);
      if (failed.length > 0) {
        logger.error('exposures not delivered', { count: failed.length, firstError: failed[0]?.error });
      }
    } catch (error) {
      logger.error('exposures not delivered', { count: events.length, error: (error as Error).message });
    }
  }
}

/**
 * An exposure log made on first use: the Kinesis client and its SDK load with the first exposure rather than at
 * cold start (most evaluations log none). If it cannot be made, those exposures are counted as not delivered, as
 * the stream being down would count them, and the next call tries again.
 */
export class LazyExposureLog implements ExposureLog {
  private target: Promise<ExposureLog> | null = null;

  constructor(private readonly create: () => Promise<ExposureLog>) {}

  async log(exposures: readonly Exposure[]): Promise<void> {
    if (exposures.length === 0) return;
    let target: ExposureLog;
    try {
      target = await (this.target ??= this.create());
    } catch (error) {
      this.target = null;
      logger.error('exposures not delivered', { count: exposures.length, error: (error as Error).message });
      return;
    }
    await target.log(exposures);
  }
}
