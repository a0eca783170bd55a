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
import {
  ExperimentExactTime,
  exactTimeFireSchema,
  plannedSchedules,
  scheduleName,
} from '../../../shared/experiments/exact-time';
import type { Experiment } from '../../../shared/experiments/requests';
import { EventBridgeOneTimeSchedules } from '../../../shared/schedules/one-time';

const scheduler = mockClient(SchedulerClient);
/** An error as the Scheduler client throws it. */
const serviceError = <E>(
  Type: new (options: { Message: string; message: string; $metadata: object }) => E,
  message: string,
) => new Type({ Message: message, message, $metadata: {} });
const settings = {
  groupName: 'switchyard-dev-experiments',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:experiment-scheduler',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
};
const exactTime = new ExperimentExactTime(
  new EventBridgeOneTimeSchedules(new SchedulerClient({ region: 'eu-west-1' }), settings),
);
const NOW = new Date('2026-06-01T12:00:00.000Z');
const experiment = (status: Experiment['status'], startAt?: string, endAt?: string) =>
  ({
    key: 'checkout-test',
    status,
    version: 3,
    ...(startAt ? { startAt } : {}),
    ...(endAt ? { endAt } : {}),
  }) as Experiment;

const creates = () => scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
const updates = () => scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input);
const deletes = () => scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name);
const names = (key: string) => ({ start: scheduleName(key, 'start'), end: scheduleName(key, 'complete') });

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:created' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:updated' });
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe('schedule names', () => {
  // Names, hashes and at() expressions in general: test/unit/schedules/one-time.test.ts.
  it('are stable, readable, and tell start from end', () => {
    expect(names('checkout-test')).toEqual(names('checkout-test'));
    expect(names('checkout-test').start).toMatch(/^checkout-test-[0-9a-f]{10}-start$/);
    expect(names('checkout-test').end).toMatch(/^checkout-test-[0-9a-f]{10}-end$/);
  });
});

describe('which schedules an experiment should have', () => {
  const future = '2026-06-02T00:00:00.000Z';
  const later = '2026-06-03T00:00:00.000Z';
  const past = '2026-05-01T00:00:00.000Z';

  it('a DRAFT: its start and end, when they are still ahead', () => {
    expect(plannedSchedules(experiment('DRAFT', future, later), NOW)).toEqual({
      start: new Date(future),
      complete: new Date(later),
    });
    expect(plannedSchedules(experiment('DRAFT', past, later), NOW)).toEqual({
      start: null,
      complete: new Date(later),
    });
    expect(plannedSchedules(experiment('DRAFT'), NOW)).toEqual({ start: null, complete: null });
  });

  it('ACTIVE and PAUSED: only the end (resuming is not starting)', () => {
    for (const status of ['ACTIVE', 'PAUSED'] as const) {
      expect(plannedSchedules(experiment(status, future, later), NOW)).toEqual({
        start: null,
        complete: new Date(later),
      });
    }
  });

  it('COMPLETED and ARCHIVED: none', () => {
    for (const status of ['COMPLETED', 'ARCHIVED'] as const) {
      expect(plannedSchedules(experiment(status, future, later), NOW)).toEqual({
        start: null,
        complete: null,
      });
    }
  });

  it('none for a time that has come (the sweep acts on it)', () => {
    expect(plannedSchedules(experiment('ACTIVE', past, NOW.toISOString()), NOW)).toEqual({
      start: null,
      complete: null,
    });
  });
});

describe('an experiment’s schedules in EventBridge Scheduler', () => {
  it('creates one-time schedules at startAt and endAt that invoke the target with {experimentKey, action}', async () => {
    await exactTime.sync(experiment('DRAFT', '2026-06-02T09:00:00.000Z', '2026-06-09T09:00:00.250Z'), NOW);
    const byName = new Map(creates().map((input) => [input.Name, input]));
    const { start, end } = names('checkout-test');
    expect([...byName.keys()].sort()).toEqual([end, start].sort());
    expect(byName.get(start)).toEqual({
      Name: start,
      GroupName: settings.groupName,
      Description: 'start experiment checkout-test',
      ScheduleExpression: 'at(2026-06-02T09:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: settings.targetArn,
        RoleArn: settings.roleArn,
        Input: JSON.stringify({ experimentKey: 'checkout-test', action: 'start' }),
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
      },
    });
    expect(byName.get(end)).toMatchObject({
      ScheduleExpression: 'at(2026-06-09T09:00:01)',
      Target: { Input: JSON.stringify({ experimentKey: 'checkout-test', action: 'complete' }) },
    });
    // What the target receives is what its schema accepts.
    for (const input of byName.values()) {
      expect(exactTimeFireSchema.safeParse(JSON.parse(input.Target!.Input!)).success).toBe(true);
    }
    expect(updates()).toEqual([]);
    expect(deletes()).toEqual([]);
  });

  it('moves a schedule that exists already: CreateSchedule conflicts, UpdateSchedule replaces it', async () => {
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, 'Schedule already exists'));
    await exactTime.sync(experiment('PAUSED', undefined, '2026-06-05T00:00:00.000Z'), NOW);
    expect(creates()).toHaveLength(1);
    expect(updates()).toEqual([
      expect.objectContaining({
        Name: names('checkout-test').end,
        GroupName: settings.groupName,
        ScheduleExpression: 'at(2026-06-05T00:00:00)',
        ActionAfterCompletion: 'DELETE',
      }),
    ]);
    expect(deletes()).toEqual([names('checkout-test').start]);
  });

  it('deletes the schedules that no longer apply, and does not schedule past times', async () => {
    await exactTime.sync(experiment('DRAFT', '2026-05-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z'), NOW);
    expect(creates()).toEqual([]);
    expect(deletes().sort()).toEqual(Object.values(names('checkout-test')).sort());

    scheduler.resetHistory();
    await exactTime.sync(experiment('COMPLETED', '2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z'), NOW);
    expect(creates()).toEqual([]);
    expect(deletes()).toHaveLength(2);
  });

  it('takes a schedule that is already gone (fired, or never made) as deleted', async () => {
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(serviceError(ResourceNotFoundException, 'Schedule not found'));
    await expect(exactTime.remove('checkout-test')).resolves.toBeUndefined();
    expect(deletes().sort()).toEqual(Object.values(names('checkout-test')).sort());
    for (const call of scheduler.commandCalls(DeleteScheduleCommand)) {
      expect(call.args[0].input.GroupName).toBe(settings.groupName);
    }
  });

  it('reports other Scheduler failures, after trying both schedules', async () => {
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ThrottlingException, 'Rate exceeded'));
    await expect(
      exactTime.sync(experiment('DRAFT', '2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z'), NOW),
    ).rejects.toThrow('Rate exceeded');
    expect(creates()).toHaveLength(2);
    expect(updates()).toEqual([]);

    scheduler.on(DeleteScheduleCommand).rejects(new Error('AccessDenied'));
    await expect(exactTime.remove('checkout-test')).rejects.toThrow('AccessDenied');
  });
});
