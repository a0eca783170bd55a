import type { Context, ScheduledEvent } from 'aws-lambda';
import { AnalyticsStore } from '../../shared/analytics/store';
import { createDynamoClient } from '../../shared/aws/clients';
import { configRepositories } from '../../shared/config/wiring';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { advanceRollouts } from '../../shared/rollouts/advancer';
import { AnalyticsStageMetrics } from '../../shared/rollouts/metric-trigger';
import { RolloutExactTime } from '../../shared/rollouts/exact-time';
import { RolloutsService } from '../../shared/rollouts/service';
import { oneTimeSchedulesFromEnv } from '../../shared/schedules/one-time';

const env = functionEnv('rollout-advancer');
const { rollouts, flags } = configRepositories(env);
// Each stage it enters moves the rollout's exact-time schedule to the next one (none on the local platform);
// `metric` triggers read the rolled-out variation's error/latency aggregates.
const service = new RolloutsService(
  rollouts,
  flags,
  new RolloutExactTime(oneTimeSchedulesFromEnv()),
  new AnalyticsStageMetrics(new AnalyticsStore(createDynamoClient(), env.TABLE_ANALYTICS)),
);

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
