import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../../shared/errors';
import { resourceKeySchema } from '../../../shared/rules/schema';
import {
  atExpression,
  EventBridgeOneTimeSchedules,
  NoOneTimeSchedules,
  oneTimeSchedulesFromEnv,
  SCHEDULE_SUFFIXES,
  scheduleName,
  settleAll,
  targetSchedulesFromEnv,
  unqualifiedFunctionArn,
  type OneTimeSchedule,
} from '../../../shared/schedules/one-time';

const scheduler = mockClient(SchedulerClient);
/** An error as the Scheduler client throws it. */
const serviceError = <E>(
  Type: new (options: { Message: string; message: string; $metadata: object }) => E,
  message: string,
) => new Type({ Message: message, message, $metadata: {} });
const settings = {
  groupName: 'switchyard-dev-schedules',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:experiment-scheduler',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
};
const client = new SchedulerClient({ region: 'eu-west-1' });
const schedules = new EventBridgeOneTimeSchedules(client, settings);
const SUFFIXES = Object.values(SCHEDULE_SUFFIXES);

const creates = () => scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
const updates = () => scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input);
const deletes = () => scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input);
const schedule = (extra: Partial<OneTimeSchedule> = {}): OneTimeSchedule => ({
  name: 'ramp-f7d9f5a904-stage',
  at: new Date('2026-06-02T09:00:00.250Z'),
  input: { rolloutKey: 'ramp' },
  description: 'stage 1 of rollout schedule ramp',
  deleteAfterFiring: false,
  ...extra,
});

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:created' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:updated' });
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe('schedule names', () => {
  const longest = 'a'.repeat(64);

  it('fit the Scheduler: at most 64 characters of [0-9a-zA-Z-_.], for every valid key and kind', () => {
    for (const key of ['a', 'checkout-test', 'x.y_z-1', longest, `9${'._-'.repeat(21)}`]) {
      expect(resourceKeySchema.safeParse(key).success).toBe(true);
      for (const suffix of SUFFIXES) {
        const name = scheduleName(key, suffix);
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
      }
    }
    expect(scheduleName(longest, 'start')).toHaveLength(64);
  });

  it('are the names experiments’ schedules have always had (existing schedules keep matching)', () => {
    expect(scheduleName('checkout-test', 'start')).toBe('checkout-test-6758c17e34-start');
    expect(scheduleName('checkout-test', 'end')).toBe('checkout-test-6758c17e34-end');
    expect(scheduleName(longest, 'end')).toBe(
      `${'a'.repeat(47)}-${scheduleName(longest, 'start').slice(48, 58)}-end`,
    );
  });

  it('differ for keys that share the part of the key a name keeps', () => {
    for (const suffix of SUFFIXES) {
      expect(scheduleName(`${'k'.repeat(60)}-aaa`, suffix)).not.toBe(
        scheduleName(`${'k'.repeat(60)}-bbb`, suffix),
      );
    }
  });

  it('never collide between kinds (an experiment and a rollout of the same key): one suffix each', () => {
    expect(new Set(SUFFIXES).size).toBe(SUFFIXES.length);
    for (const suffix of SUFFIXES) expect(suffix).toMatch(/^[a-z]{1,5}$/);
    for (const key of ['ramp', 'checkout-test', 'a'.repeat(64)]) {
      const names = SUFFIXES.map((suffix) => scheduleName(key, suffix));
      expect(new Set(names).size).toBe(SUFFIXES.length);
    }
    expect(scheduleName('ramp', SCHEDULE_SUFFIXES.rolloutStage)).toBe('ramp-f7d9f5a904-stage');
  });
});

describe('at() expressions', () => {
  it('are UTC to the second, rounded up so a schedule never fires before the instant', () => {
    expect(atExpression(new Date('2026-06-01T12:30:00.000Z'))).toBe('at(2026-06-01T12:30:00)');
    expect(atExpression(new Date('2026-06-01T12:30:00.001Z'))).toBe('at(2026-06-01T12:30:01)');
    expect(atExpression(new Date('2026-12-31T23:59:59.500Z'))).toBe('at(2027-01-01T00:00:00)');
    expect(atExpression(new Date('2026-06-01T14:30:00+02:00'))).toBe('at(2026-06-01T12:30:00)');
  });
});

describe('EventBridge one-time schedules', () => {
  it('creates a one-time schedule in the group that invokes the target with the input, as the role', async () => {
    await schedules.put(schedule());
    expect(creates()).toEqual([
      {
        Name: 'ramp-f7d9f5a904-stage',
        GroupName: settings.groupName,
        Description: 'stage 1 of rollout schedule ramp',
        ScheduleExpression: 'at(2026-06-02T09:00:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'NONE',
        Target: {
          Arn: settings.targetArn,
          RoleArn: settings.roleArn,
          Input: '{"rolloutKey":"ramp"}',
          RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
        },
      },
    ]);
    expect(updates()).toEqual([]);
  });

  it('sends a fire it could not deliver to the dead-letter queue, when one is given', async () => {
    const deadLetterArn = 'arn:aws:sqs:eu-west-1:123456789012:scheduled-targets-dlq';
    await new EventBridgeOneTimeSchedules(client, { ...settings, deadLetterArn }).put(schedule());
    expect(creates()[0]!.Target).toMatchObject({
      RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
      DeadLetterConfig: { Arn: deadLetterArn },
    });
  });

  it('lets the Scheduler delete a schedule after it fired only when asked to', async () => {
    await schedules.put(schedule({ deleteAfterFiring: true }));
    expect(creates()[0]!.ActionAfterCompletion).toBe('DELETE');
  });

  it('moves a schedule that exists already: CreateSchedule conflicts, UpdateSchedule replaces it', async () => {
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, 'Schedule already exists'));
    await schedules.put(schedule());
    expect(creates()).toHaveLength(1);
    expect(updates()).toEqual(creates());
  });

  it('deletes by name in the group, and takes a schedule that is already gone as deleted', async () => {
    await schedules.delete('ramp-f7d9f5a904-stage');
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(serviceError(ResourceNotFoundException, 'Schedule not found'));
    await expect(schedules.delete('ramp-f7d9f5a904-stage')).resolves.toBeUndefined();
    expect(deletes()).toEqual([
      { Name: 'ramp-f7d9f5a904-stage', GroupName: settings.groupName },
      { Name: 'ramp-f7d9f5a904-stage', GroupName: settings.groupName },
    ]);
  });

  it('reports other Scheduler failures', async () => {
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ThrottlingException, 'Rate exceeded'));
    await expect(schedules.put(schedule())).rejects.toThrow('Rate exceeded');
    expect(updates()).toEqual([]);
    scheduler.on(DeleteScheduleCommand).rejects(new Error('AccessDenied'));
    await expect(schedules.delete('x')).rejects.toThrow('AccessDenied');
  });

  it('settleAll waits for every call before failing with the first error', async () => {
    let finished = false;
    const slow = new Promise<void>((resolve) =>
      setTimeout(() => {
        finished = true;
        resolve();
      }, 10),
    );
    await expect(settleAll([Promise.reject(new Error('first')), slow])).rejects.toThrow('first');
    expect(finished).toBe(true);
  });
});

describe('choosing the schedules from the environment', () => {
  const full = {
    SCHEDULE_GROUP_NAME: settings.groupName,
    SCHEDULE_TARGET_ARN: settings.targetArn,
    SCHEDULER_ROLE_ARN: settings.roleArn,
  };

  it('EventBridge when the group, target and role are all given', () => {
    expect(oneTimeSchedulesFromEnv(full)).toBeInstanceOf(EventBridgeOneTimeSchedules);
  });

  it('none when none is given (the local platform)', () => {
    expect(oneTimeSchedulesFromEnv({})).toBeInstanceOf(NoOneTimeSchedules);
  });

  it('puts the dead-letter queue of SCHEDULE_DEAD_LETTER_ARN on every schedule', async () => {
    const deadLetterArn = 'arn:aws:sqs:eu-west-1:123456789012:dlq';
    await oneTimeSchedulesFromEnv({ ...full, SCHEDULE_DEAD_LETTER_ARN: deadLetterArn }, () => client).put(
      schedule(),
    );
    expect(creates()[0]!.Target?.DeadLetterConfig).toEqual({ Arn: deadLetterArn });
    expect(() => oneTimeSchedulesFromEnv({ ...full, SCHEDULE_DEAD_LETTER_ARN: 'dlq' })).toThrow(
      /SCHEDULE_DEAD_LETTER_ARN/,
    );
  });

  it('refuses a partial or malformed configuration, naming what is wrong', () => {
    const { SCHEDULER_ROLE_ARN: _r, ...partial } = full;
    expect(() => oneTimeSchedulesFromEnv(partial)).toThrow(ConfigurationError);
    expect(() => oneTimeSchedulesFromEnv(partial)).toThrow(/missing SCHEDULER_ROLE_ARN/);
    expect(() => oneTimeSchedulesFromEnv({ ...full, SCHEDULE_TARGET_ARN: 'experiment-scheduler' })).toThrow(
      /SCHEDULE_TARGET_ARN/,
    );
    expect(() => oneTimeSchedulesFromEnv({ ...full, SCHEDULE_GROUP_NAME: '' })).toThrow(
      /SCHEDULE_GROUP_NAME/,
    );
  });
});

describe('the target’s own schedules', () => {
  const own = { SCHEDULE_GROUP_NAME: settings.groupName, SCHEDULER_ROLE_ARN: settings.roleArn };

  it('invoke the function that was invoked, without its qualifier, in the group, as the role', async () => {
    const schedulesFor = targetSchedulesFromEnv(own, () => client);
    await schedulesFor(`${settings.targetArn}:$LATEST`).put(schedule());
    expect(creates()[0]).toMatchObject({
      GroupName: settings.groupName,
      Target: { Arn: settings.targetArn, RoleArn: settings.roleArn },
    });
  });

  it('carry the dead-letter queue too', async () => {
    const deadLetterArn = 'arn:aws:sqs:eu-west-1:123456789012:dlq';
    const schedulesFor = targetSchedulesFromEnv(
      { ...own, SCHEDULE_DEAD_LETTER_ARN: deadLetterArn },
      () => client,
    );
    await schedulesFor(settings.targetArn).put(schedule());
    expect(creates()[0]!.Target?.DeadLetterConfig).toEqual({ Arn: deadLetterArn });
  });

  it('none without the variables; a partial or malformed configuration fails at cold start', () => {
    expect(targetSchedulesFromEnv({})(settings.targetArn)).toBeInstanceOf(NoOneTimeSchedules);
    expect(() => targetSchedulesFromEnv({ SCHEDULE_GROUP_NAME: 'g' })).toThrow(/missing SCHEDULER_ROLE_ARN/);
    expect(() => targetSchedulesFromEnv({ ...own, SCHEDULER_ROLE_ARN: 'invoke' })).toThrow(
      /SCHEDULER_ROLE_ARN/,
    );
  });

  it('unqualified function ARNs', () => {
    expect(unqualifiedFunctionArn(settings.targetArn)).toBe(settings.targetArn);
    expect(unqualifiedFunctionArn(`${settings.targetArn}:live`)).toBe(settings.targetArn);
    expect(() => unqualifiedFunctionArn('arn:aws:iam::123456789012:role/x')).toThrow(ConfigurationError);
  });
});
