import type { Context, ScheduledEvent } from 'aws-lambda';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { advanceRollouts } from '../../shared/rollouts/advancer';
import { RolloutExactTime } from '../../shared/rollouts/exact-time';
import { RolloutsService } from '../../shared/rollouts/service';
import { oneTimeSchedulesFromEnv } from '../../shared/schedules/one-time';

const { rollouts, flags } = configRepositories(functionEnv('rollout-advancer'));
// Each stage it enters moves the rollout's exact-time schedule to the next one (none on the local platform).
const service = new RolloutsService(rollouts, flags, new RolloutExactTime(oneTimeSchedulesFromEnv()));

/**
 * EventBridge rule every 5 minutes (a timer under `npm start`): start schedules and enter the stages due. The repair
 * path of the exact-time schedules, which enter them on time in AWS.
 */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const result = await advanceRollouts(service, context.awsRequestId);
  if (result.advanced.length + result.skipped.length + result.failed.length > 0) {
    logger.info('rollout advancer', { ...result });
  }
};
