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
import { parseEnv } from '../env';
import {
  EXACT_TIME_ENV,
  EXACT_TIME_TARGET_ENV,
  SCHEDULE_DEAD_LETTER_ENV,
  exactTimeCapability,
  exactTimeTargetCapability,
} from '../environment';
import { ConfigurationError } from '../errors';

/**
 * One-time EventBridge Scheduler schedules in the platform's one schedule group, every one invoking the one target
 * function with the role the Scheduler assumes (lib/constructs/experiment-scheduler.ts). The machinery under the
 * exact-time schedules of experiments (shared/experiments/exact-time.ts) and of rollouts
 * (shared/rollouts/exact-time.ts): each domain plans which of its schedules should exist and when, this module
 * names, creates, moves and deletes them. The jobs (the 15-minute sweep, the 5-minute rollout job) repair whatever
 * the schedules miss.
 */

/**
 * The last part of a schedule's name, one per kind of schedule sharing the group, listed here so that two kinds
 * never share one: a name ends in its suffix after a fixed-length hash, so names of different kinds differ
 * whatever their keys. At most LONGEST_SUFFIX characters, none of them `-`.
 */
export const SCHEDULE_SUFFIXES = {
  experimentStart: 'start',
  experimentEnd: 'end',
  rolloutStage: 'stage',
} as const;
export type ScheduleSuffix = (typeof SCHEDULE_SUFFIXES)[keyof typeof SCHEDULE_SUFFIXES];

const LONGEST_SUFFIX = 5;
const HASH_LENGTH = 10;
/** Key characters kept in a name: the rest of the Scheduler's 64 are the hash, the suffix and two dashes. */
const KEY_PREFIX_LENGTH = 64 - '-'.length - HASH_LENGTH - '-'.length - LONGEST_SUFFIX;

/**
 * A schedule's name: `<key, cut to 47 characters>-<10 hex of SHA-256(key)>-<suffix>`. Resource keys may be 64
 * characters but schedule names may not be longer than that in total, so every name carries the hash: two keys
 * that share their first 47 characters still get different names, and the same key always gets the same one.
 * Keys use only a-z 0-9 . _ -, all allowed in schedule names. (Experiments' names have been exactly these since
 * their schedules were first created: changing the rule would strand the schedules that exist.)
 */
export function scheduleName(key: string, suffix: ScheduleSuffix): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
  return `${key.slice(0, KEY_PREFIX_LENGTH)}-${hash}-${suffix}`;
}

/**
 * A one-time `at()` expression in UTC, rounded up to the whole second: the Scheduler has second precision, and a
 * fire before the instant itself would find nothing due yet.
 */
export function atExpression(at: Date): string {
  const ceiled = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${ceiled.toISOString().slice(0, 19)})`;
}

export interface OneTimeSchedule {
  /** From scheduleName. */
  readonly name: string;
  readonly at: Date;
  /** What the target function receives as its event (sent as JSON). */
  readonly input: object;
  readonly description: string;
  /**
   * Whether the Scheduler deletes the schedule once it has fired. Not for a name that is moved to the next instant
   * by the very invocation it fires: a deletion landing after that move would delete the next schedule.
   */
  readonly deleteAfterFiring: boolean;
}

/** The schedules of the group, as a domain's planner uses them. */
export interface OneTimeSchedules {
  /** Create the schedule, or move it when one of that name exists already (the whole definition is replaced). */
  put(schedule: OneTimeSchedule): Promise<void>;
  /** Delete the schedule; one that is gone (fired and deleted itself, or never made) is already what we want. */
  delete(name: string): Promise<void>;
}

export interface OneTimeScheduleSettings {
  readonly groupName: string;
  /** ARN of the function every schedule invokes (lambdas/experiment-scheduler). */
  readonly targetArn: string;
  /** The role the Scheduler assumes to invoke the target. */
  readonly roleArn: string;
  /**
   * ARN of the SQS queue that receives a fire the Scheduler could not deliver within its retry policy.
   * @default - none: such a fire is dropped (the repair jobs still act on it)
   */
  readonly deadLetterArn?: string;
}

export class EventBridgeOneTimeSchedules implements OneTimeSchedules {
  constructor(
    private readonly client: SchedulerClient,
    private readonly settings: OneTimeScheduleSettings,
  ) {}

  async put(schedule: OneTimeSchedule): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: schedule.name,
      GroupName: this.settings.groupName,
      Description: schedule.description,
      ScheduleExpression: atExpression(schedule.at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: schedule.deleteAfterFiring ? 'DELETE' : 'NONE',
      Target: {
        Arn: this.settings.targetArn,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify(schedule.input),
        // After 15 minutes the repair jobs (every 15 or 5 minutes) have acted anyway.
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
        ...(this.settings.deadLetterArn === undefined
          ? {}
          : { DeadLetterConfig: { Arn: this.settings.deadLetterArn } }),
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.settings.groupName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/** Where no Scheduler exists (the local platform): the jobs, on fast timers there, do the work alone. */
export class NoOneTimeSchedules implements OneTimeSchedules {
  async put(): Promise<void> {}
  async delete(): Promise<void> {}
}

/** Wait for every call (none is left running), then fail with the first error, if any. */
export async function settleAll(calls: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(calls);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

const defaultClient = () => new SchedulerClient({});

/** Some but not all of the variables set is a wiring mistake: fail at cold start, naming what is missing. */
function checkAllOrNone(env: Record<string, string | undefined>, names: readonly string[]): boolean {
  const missing = names.filter((name) => env[name] === undefined);
  if (missing.length === 0) return true;
  if (missing.length === names.length) return false;
  throw new ConfigurationError(
    `Invalid environment: exact-time schedules need ${names.join(', ')} together; missing ${missing.join(', ')}`,
  );
}

/**
 * The schedules the environment asks for: EventBridge when SCHEDULE_GROUP_NAME, SCHEDULE_TARGET_ARN and
 * SCHEDULER_ROLE_ARN are all set (in AWS, by ExperimentScheduler.bindManager), none when none is (the local
 * platform, and the functions that only transition).
 */
export function oneTimeSchedulesFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  client: () => SchedulerClient = defaultClient,
): OneTimeSchedules {
  const env = parseEnv(exactTimeCapability.schema, source);
  if (!checkAllOrNone(env, Object.values(EXACT_TIME_ENV))) return new NoOneTimeSchedules();
  return new EventBridgeOneTimeSchedules(client(), {
    groupName: env[EXACT_TIME_ENV.groupName]!,
    targetArn: env[EXACT_TIME_ENV.targetArn]!,
    roleArn: env[EXACT_TIME_ENV.roleArn]!,
    deadLetterArn: env[SCHEDULE_DEAD_LETTER_ENV],
  });
}

/**
 * For the target function itself, which moves a rollout's schedule to its next stage: its own ARN cannot be in its
 * environment (a function whose variables name its own ARN is a CloudFormation cycle), so it comes from each
 * invocation (`context.invokedFunctionArn`, without a version or alias qualifier). The variables are checked once,
 * at cold start; the client is created once, on first use.
 */
export function targetSchedulesFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  client: () => SchedulerClient = defaultClient,
): (invokedFunctionArn: string) => OneTimeSchedules {
  const env = parseEnv(exactTimeTargetCapability.schema, source);
  if (!checkAllOrNone(env, Object.values(EXACT_TIME_TARGET_ENV))) return () => new NoOneTimeSchedules();
  let created: SchedulerClient | undefined;
  return (invokedFunctionArn) =>
    new EventBridgeOneTimeSchedules((created ??= client()), {
      groupName: env[EXACT_TIME_TARGET_ENV.groupName]!,
      roleArn: env[EXACT_TIME_TARGET_ENV.roleArn]!,
      targetArn: unqualifiedFunctionArn(invokedFunctionArn),
      deadLetterArn: env[SCHEDULE_DEAD_LETTER_ENV],
    });
}

/** `arn:aws:lambda:<region>:<account>:function:<name>`, without a `:<version|alias>` the invocation may carry. */
export function unqualifiedFunctionArn(arn: string): string {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') {
    throw new ConfigurationError(`Not a Lambda function ARN: ${arn}`);
  }
  return parts.slice(0, 7).join(':');
}
