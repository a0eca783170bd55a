import type { DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { changedResources } from '../../shared/rulesets/changes';
import { publisherDependencies } from '../../shared/rulesets/wiring';

const { publisher, cache } = publisherDependencies(functionEnv('ruleset-publisher'));

/**
 * Config table stream → the entries those records name, republished if their wire form changed (one revision,
 * or several when the batch outgrows a transaction), then the cache's pointer. The same function runs on a
 * schedule as the repair sweep: it compares the whole configuration with the stored entries and writes the
 * differences (nothing when there are none), and re-puts the current revision in the cache, so a missed
 * delivery or a cache flush heals itself. An error fails the batch and the event source retries it; publishing
 * is idempotent.
 */
export const handler = async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<void> => {
  const changed = 'Records' in event ? changedResources(event.Records) : null;
  if (changed !== null && changed.length === 0) return;
  const outcome = changed === null ? await publisher.publishAll() : await publisher.publishChanges(changed);
  await cache.advance(outcome.revision);
  logger.info(outcome.published ? 'ruleset published' : 'ruleset unchanged', {
    trigger: changed === null ? 'repair sweep' : `stream (${changed.length} resources)`,
    ...outcome,
  });
};
