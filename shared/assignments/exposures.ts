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
