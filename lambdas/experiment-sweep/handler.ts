import type { Context, ScheduledEvent } from 'aws-lambda';
import { configRepositories } from '../../shared/config/wiring';
import { ExperimentsService } from '../../shared/experiments/service';
import { sweepSchedules } from '../../shared/experiments/sweep';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';

const { experiments, layers, flags, metrics, segments } = configRepositories(functionEnv('experiment-sweep'));
// No exact-time scheduler: the sweep's transitions leave no schedule to change (a start is past, the end
// schedule was made with the experiment's schedule; see docs/architecture.md), so it needs no Scheduler access.
const service = new ExperimentsService(experiments, layers, flags, metrics, segments);

/** EventBridge rule every 15 minutes (a timer under `npm start`): start and end experiments on schedule. */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const result = await sweepSchedules(service, await experiments.list(), context.awsRequestId);
  if (result.started.length + result.completed.length + result.skipped.length > 0) {
    logger.info('experiment schedule sweep', { ...result });
  }
};
