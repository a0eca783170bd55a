import type { Context, ScheduledEvent } from 'aws-lambda';
import { AnalyticsStore } from '../../shared/analytics/store';
import { createDynamoClient } from '../../shared/aws/clients';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { monitorSafety } from '../../shared/safety/monitor';
import { safetyService } from '../../shared/safety/wiring';

const env = functionEnv('safety-monitor');
const store = new AnalyticsStore(createDynamoClient(), env.TABLE_ANALYTICS);
const service = safetyService(env);

/**
 * EventBridge rule every minute (a timer under `npm start`, scaled by --ms-per-minute): judge every monitored flag
 * and roll back those that breach (shared/safety/monitor.ts). Logs one line per run, which the "monitor not
 * running" alarm counts on (lib/constructs/monitoring.ts).
 */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const started = Date.now();
  const result = await monitorSafety(service, store, context.awsRequestId);
  logger.info('safety monitor', { ...result, ms: Date.now() - started });
};
