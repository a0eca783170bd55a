import type { DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { publisherDependencies } from '../../shared/rulesets/wiring';

const { publisher, cache } = publisherDependencies(functionEnv('ruleset-publisher'));

/**
 * Config table stream → the next ruleset revision, in DynamoDB then the cache. The same function runs on a
 * schedule as the repair sweep: publishing is idempotent (nothing happens when the content is unchanged), and
 * it always re-puts the current revision in the cache, so a missed publish or a cache flush heals itself.
 * A batch is one publish of the whole configuration, so there is no per-record failure to report: an error
 * fails the batch and the event source retries it.
 */
export const handler = async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<void> => {
  const trigger = 'Records' in event ? `stream (${event.Records.length} records)` : 'repair sweep';
  const { published, ruleset, pointer } = await publisher.publishIfChanged();
  await cache.store(pointer.revision, JSON.stringify(ruleset));
  logger.info(published ? 'ruleset published' : 'ruleset unchanged', {
    trigger,
    revision: pointer.revision,
    flags: ruleset.flags.length,
    segments: ruleset.segments.length,
    experiments: ruleset.experiments?.length ?? 0,
  });
};
