import type { Context } from 'aws-lambda';
import { configRepositories } from '../../shared/config/wiring';
import { ConfigurationError } from '../../shared/errors';
import { exactTimeFireSchema } from '../../shared/experiments/exact-time';
import { ExperimentsService } from '../../shared/experiments/service';
import { sweepSchedules } from '../../shared/experiments/sweep';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';

const { experiments, layers, flags, metrics } = configRepositories(functionEnv('experiment-scheduler'));
// Like the sweep, no exact-time scheduler: a fired schedule deletes itself and the end one already exists.
const service = new ExperimentsService(experiments, layers, flags, metrics);

/**
 * Target of the one-time EventBridge Scheduler schedules (`{experimentKey, action}` at startAt or endAt):
 * runs the sweep's code on that one experiment, so a fire that is early, late, repeated or stale (the
 * experiment was moved, paused or finished meanwhile) changes nothing unless a transition is due now.
 */
export const handler = async (event: unknown, context: Context): Promise<void> => {
  const parsed = exactTimeFireSchema.safeParse(event);
  if (!parsed.success) {
    // Only our own code writes this input: a bad one is a deployment bug, so fail loudly (function errors
    // alarm); the schedule's retry policy bounds the repeats.
    throw new ConfigurationError(`Invalid exact-time schedule input: ${parsed.error.message}`);
  }
  const { experimentKey, action } = parsed.data;
  const experiment = await experiments.get(experimentKey);
  if (experiment === null) {
    logger.warn('exact-time schedule for an experiment that no longer exists: ignored', {
      experimentKey,
      action,
    });
    return;
  }
  const result = await sweepSchedules(service, [experiment], context.awsRequestId);
  logger.info('exact-time schedule fired', { experimentKey, action, status: experiment.status, ...result });
};
