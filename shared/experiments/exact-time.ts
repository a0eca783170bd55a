import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { z } from 'zod';
import { parseEnv } from '../env';
import { EXACT_TIME_ENV, exactTimeCapability } from '../environment';
import { ConfigurationError } from '../errors';
import { resourceKeySchema } from '../rules/schema';
import { canTransition, FINISHED_STATUSES } from './lifecycle';
import type { Experiment } from './requests';

/**
 * The exact-time half of SPEC §2.4's scheduler: one EventBridge Scheduler one-time schedule per pending
 * transition (`start` at startAt, `complete` at endAt), kept in step with the experiment by
 * ExperimentsService after every committed change. The other half, the 15-minute sweep
 * (shared/experiments/sweep.ts), repairs whatever these schedules miss; both end in the same transition code.
 */
export interface ExactTimeScheduler {
  /** Make the experiment's one-time schedules match its startAt/endAt and status (create, move or delete). */
  sync(experiment: Experiment, now?: Date): Promise<void>;
  /** Delete the experiment's schedules (it was deleted). */
  remove(experimentKey: string): Promise<void>;
}

/** The transitions a one-time schedule fires, and the suffix of its name. */
export const SCHEDULED_ACTIONS = { start: 'start', complete: 'end' } as const;
export type ScheduledAction = keyof typeof SCHEDULED_ACTIONS;
const ACTIONS = Object.keys(SCHEDULED_ACTIONS) as ScheduledAction[];

/** What a schedule delivers to lambdas/experiment-scheduler (the schedule's target Input). */
export const exactTimeFireSchema = z.object({
  experimentKey: resourceKeySchema,
  action: z.enum(ACTIONS),
});
export type ExactTimeFire = z.output<typeof exactTimeFireSchema>;

/** The environment through which the experiments function finds the schedule group, target and role. */
export { EXACT_TIME_ENV };

/**
 * When each schedule should fire, or null when it should not exist. A start only while the experiment
 * can still start (DRAFT: resuming a PAUSED one is a person's decision, as in the sweep's dueAction); an
 * end while it has not finished (a DRAFT's end is kept, so an experiment started on time still ends on
 * time without anyone syncing again). Times already past are left to the sweep.
 */
export function plannedSchedules(
  experiment: Pick<Experiment, 'status' | 'startAt' | 'endAt'>,
  now: Date,
): Record<ScheduledAction, Date | null> {
  const future = (iso: string | undefined) =>
    iso !== undefined && Date.parse(iso) > now.getTime() ? new Date(iso) : null;
  return {
    start: canTransition(experiment.status, 'start') ? future(experiment.startAt) : null,
    complete: FINISHED_STATUSES.includes(experiment.status) ? null : future(experiment.endAt),
  };
}

/** Key characters kept in a schedule name: the rest of the 64 characters are the hash and the suffix. */
const KEY_PREFIX_LENGTH = 64 - '-'.length - 10 - '-'.length - 'start'.length;

/**
 * The schedule's name: `<key, cut to 47 characters>-<10 hex of SHA-256(key)>-<start|end>`. Experiment keys may
 * be 64 characters but schedule names may not be longer than that in total, so every name carries the hash:
 * two keys that share their first 47 characters still get different names, and the same key always gets
 * the same one. Keys use only a-z 0-9 . _ -, all allowed in schedule names.
 */
export function scheduleName(experimentKey: string, action: ScheduledAction): string {
  const hash = createHash('sha256').update(experimentKey).digest('hex').slice(0, 10);
  return `${experimentKey.slice(0, KEY_PREFIX_LENGTH)}-${hash}-${SCHEDULED_ACTIONS[action]}`;
}

/**
 * A one-time `at()` expression in UTC, rounded up to the whole second: the Scheduler has second
 * precision, and a fire before the instant itself would find nothing due yet.
 */
export function atExpression(at: Date): string {
  const ceiled = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${ceiled.toISOString().slice(0, 19)})`;
}

export interface EventBridgeSchedulerSettings {
  readonly groupName: string;
  /** ARN of lambdas/experiment-scheduler. */
  readonly targetArn: string;
  /** The role the Scheduler assumes to invoke the target. */
  readonly roleArn: string;
}

/** One-time schedules in an EventBridge Scheduler group, deleted by the Scheduler after they fire. */
export class EventBridgeExactTimeScheduler implements ExactTimeScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly settings: EventBridgeSchedulerSettings,
  ) {}

  async sync(experiment: Experiment, now: Date = new Date()): Promise<void> {
    const plan = plannedSchedules(experiment, now);
    await settleAll(
      ACTIONS.map((action) => {
        const at = plan[action];
        return at === null ? this.delete(experiment.key, action) : this.put(experiment.key, action, at);
      }),
    );
  }

  async remove(experimentKey: string): Promise<void> {
    await settleAll(ACTIONS.map((action) => this.delete(experimentKey, action)));
  }

  /** Create the schedule, or move it when it exists already (UpdateSchedule replaces the whole definition). */
  private async put(experimentKey: string, action: ScheduledAction, at: Date): Promise<void> {
    const fire: ExactTimeFire = { experimentKey, action };
    const input: CreateScheduleCommandInput = {
      Name: scheduleName(experimentKey, action),
      GroupName: this.settings.groupName,
      Description: `${action} experiment ${experimentKey}`,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: this.settings.targetArn,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify(fire),
        // After 15 minutes the sweep has acted anyway.
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  /** Delete the schedule; one that fired (and deleted itself) or never existed is already what we want. */
  private async delete(experimentKey: string, action: ScheduledAction): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({
          Name: scheduleName(experimentKey, action),
          GroupName: this.settings.groupName,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/** Where no Scheduler exists (the local platform): the sweep, on a fast timer there, does the job alone. */
export class NoExactTimeScheduler implements ExactTimeScheduler {
  async sync(): Promise<void> {}
  async remove(): Promise<void> {}
}

/** Wait for every call (none is left running), then fail with the first error, if any. */
async function settleAll(calls: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(calls);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * The exact-time scheduler the environment asks for: EventBridge when the three variables are set (in AWS,
 * by ExperimentScheduler.bindManager), none when none is (the local platform, and the functions that
 * only transition: see docs/architecture.md). Some but not all of them is a wiring mistake: fail at cold start.
 */
export function exactTimeSchedulerFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  client: () => SchedulerClient = () => new SchedulerClient({}),
): ExactTimeScheduler {
  const env = parseEnv(exactTimeCapability.schema, source);
  const groupName = env[EXACT_TIME_ENV.groupName];
  const targetArn = env[EXACT_TIME_ENV.targetArn];
  const roleArn = env[EXACT_TIME_ENV.roleArn];
  if (groupName !== undefined && targetArn !== undefined && roleArn !== undefined) {
    return new EventBridgeExactTimeScheduler(client(), { groupName, targetArn, roleArn });
  }
  const missing = Object.values(EXACT_TIME_ENV).filter((name) => env[name] === undefined);
  if (missing.length < Object.keys(EXACT_TIME_ENV).length) {
    throw new ConfigurationError(
      `Invalid environment: exact-time schedules need ${Object.values(EXACT_TIME_ENV).join(', ')} ` +
        `together; missing ${missing.join(', ')}`,
    );
  }
  return new NoExactTimeScheduler();
}
