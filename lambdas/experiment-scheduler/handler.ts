import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { configRepositories } from '../../shared/config/wiring';
import { ConfigurationError } from '../../shared/errors';
import { exactTimeFireSchema, type ExactTimeFire } from '../../shared/experiments/exact-time';
import { ExperimentsService } from '../../shared/experiments/service';
import { sweepSchedules } from '../../shared/experiments/sweep';
import { functionEnv } from '../../shared/functions';
import { logger } from '../../shared/observability';
import { advanceSchedules } from '../../shared/rollouts/advancer';
import { RolloutExactTime, rolloutFireSchema, type RolloutFire } from '../../shared/rollouts/exact-time';
import { RolloutsService } from '../../shared/rollouts/service';
import { targetSchedulesFromEnv } from '../../shared/schedules/one-time';

const env = functionEnv('experiment-scheduler');
const { experiments, layers, flags, metrics, segments, rollouts } = configRepositories(env);
// Like the sweep, no exact-time scheduler: a fired schedule deletes itself and the end one already exists.
const experimentsService = new ExperimentsService(experiments, layers, flags, metrics, segments);
// A rollout's fire enters a stage, after which its schedule moves to the next one: this function is the target.
const schedulesFor = targetSchedulesFromEnv(env);

/**
 * What a schedule delivers: `{experimentKey, action}` (every experiment schedule, including those created before
 * rollouts had schedules) or `{rolloutKey}`.
 */
const fireSchema = z.union([exactTimeFireSchema, rolloutFireSchema]);

/**
 * Target of the one-time EventBridge Scheduler schedules: runs the jobs' code on the one experiment (the sweep's, at
 * startAt or endAt) or the one rollout (the 5-minute job's, at its next due instant) it names, so a fire that is
 * early, late, repeated or stale (the resource was moved, paused or finished meanwhile) changes nothing unless
 * something is due now.
 */
export const handler = async (event: unknown, context: Context): Promise<void> => {
  const parsed = fireSchema.safeParse(event);
  if (!parsed.success) {
    // Only our own code writes this input: a bad one is a deployment bug, so fail loudly (function errors
    // alarm); the schedule's retry policy bounds the repeats.
    throw new ConfigurationError(`Invalid exact-time schedule input: ${parsed.error.message}`);
  }
  const fire = parsed.data;
  await ('rolloutKey' in fire ? fireRollout(fire, context) : fireExperiment(fire, context));
};

async function fireExperiment({ experimentKey, action }: ExactTimeFire, context: Context): Promise<void> {
  const experiment = await experiments.get(experimentKey);
  if (experiment === null) {
    logger.warn('exact-time schedule for an experiment that no longer exists: ignored', {
      experimentKey,
      action,
    });
    return;
  }
  const result = await sweepSchedules(experimentsService, [experiment], context.awsRequestId);
  logger.info('exact-time schedule fired', { experimentKey, action, status: experiment.status, ...result });
}

async function fireRollout({ rolloutKey }: RolloutFire, context: Context): Promise<void> {
  const schedule = await rollouts.get(rolloutKey);
  if (schedule === null) {
    logger.warn('exact-time schedule for a rollout schedule that no longer exists: ignored', { rolloutKey });
    return;
  }
  const exactTime = new RolloutExactTime(schedulesFor(context.invokedFunctionArn));
  const service = new RolloutsService(rollouts, flags, exactTime);
  const result = await advanceSchedules(service, [schedule], context.awsRequestId);
  logger.info('exact-time schedule fired', { rolloutKey, status: schedule.status, ...result });
}
