import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { eventProcessorDependencies } from '../../shared/analytics/wiring';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';

const processor = eventProcessorDependencies(logger, functionEnv('event-processor'));
const batch = new BatchProcessor(EventType.KinesisDataStreams);

/**
 * Events stream → search sink and aggregates (shared/analytics/processor.ts). Aggregation works on the whole
 * batch at once (writes grow with units, not events), so the batch is processed first and Powertools then
 * reports, record by record, the ones that must come again: events the sink could not index for now, units
 * whose transaction failed. Invalid records, and events the search index refused for good, are logged and skipped
 * (they would never get better; the latter are still aggregated). When every record
 * failed, Powertools throws, so Lambda retries (and bisects) the whole batch; everything is idempotent.
 */
export const handler = async (
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> => {
  const { failed, stats } = await processor.process(
    event.Records.map((r) => ({ id: r.kinesis.sequenceNumber, data: r.kinesis.data })),
  );
  logger.info('event batch processed', { ...stats, failedRecords: failed.size });
  const reportFailure = (record: KinesisStreamRecord): Promise<void> => {
    const reason = failed.get(record.kinesis.sequenceNumber);
    return reason === undefined ? Promise.resolve() : Promise.reject(new Error(reason));
  };
  return processPartialResponse(event, reportFailure, batch, { context });
};
