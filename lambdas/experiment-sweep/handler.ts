import type { Context, ScheduledEvent } from 'aws-lambda';
import { configRepositories } from '../../shared/config/wiring';
import { ExperimentsService } from '../../shared/experiments/service';
import { sweepSchedules } from '../../shared/experiments/sweep';
import { logger } from '../../shared/http/observability';

const { experiments, layers, flags } = configRepositories();
const service = new ExperimentsService(experiments, layers, flags);

/** EventBridge rule every 15 minutes (a timer under `npm start`): start and end experiments on schedule. */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const result = await sweepSchedules(service, await experiments.list(), context.awsRequestId);
  if (result.started.length + result.completed.length + result.skipped.length > 0) {
    logger.info('experiment schedule sweep', { ...result });
  }
};
