import type { Context, ScheduledEvent } from 'aws-lambda';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { advanceRollouts } from '../../shared/rollouts/advancer';
import { RolloutsService } from '../../shared/rollouts/service';

const { rollouts, flags } = configRepositories(functionEnv('rollout-advancer'));
const service = new RolloutsService(rollouts, flags);

/** EventBridge rule every 5 minutes (a timer under `npm start`): start schedules and enter the stages due. */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const result = await advanceRollouts(service, context.awsRequestId);
  if (result.advanced.length + result.skipped.length + result.failed.length > 0) {
    logger.info('rollout advancer', { ...result });
  }
};
