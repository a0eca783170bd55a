import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { exactTimeFireSchema } from '../../../shared/experiments/exact-time';
import {
  isNextStageDue,
  isStartDue,
  nextDueAt,
  type RolloutState,
  type RolloutStatus,
} from '../../../shared/rollouts/lifecycle';
import {
  plannedFire,
  RolloutExactTime,
  rolloutFireSchema,
  rolloutScheduleName,
} from '../../../shared/rollouts/exact-time';
import type { Trigger } from '../../../shared/rollouts/triggers';
import { EventBridgeOneTimeSchedules, scheduleName } from '../../../shared/schedules/one-time';

const scheduler = mockClient(SchedulerClient);
const settings = {
  groupName: 'switchyard-dev-schedules',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:experiment-scheduler',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
};
const exactTime = new RolloutExactTime(
  new EventBridgeOneTimeSchedules(new SchedulerClient({ region: 'eu-west-1' }), settings),
);
const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const iso = (n: number) => minutes(n).toISOString();

/** A schedule whose stage 0 began `stageStartedMinutes` from NOW, its next stage triggered by `next`. */
const rollout = (
  status: RolloutStatus,
  next: Trigger | undefined,
  extra: Partial<RolloutState> = {},
): RolloutState => ({
  key: 'ramp',
  status,
  stages: [
    { percentage: 1000, trigger: { type: 'manual' } },
    ...(next === undefined ? [] : [{ percentage: 5000, trigger: next }]),
  ],
  currentStage: status === 'PENDING' ? -1 : 0,
  ...(status === 'PENDING' ? {} : { startedAt: iso(-5), stageStartedAt: iso(-5) }),
  history: [],
  ...extra,
});
const time = (after: string): Trigger => ({ type: 'time', after });
const at = (instant: string): Trigger => ({ type: 'at', timestamp: instant });

const creates = () => scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
const deletes = () => scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input);

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:created' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:updated' });
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe('when a rollout’s one schedule should fire', () => {
  it('PENDING: at its startAt; without one, never (advance starts it)', () => {
    expect(plannedFire(rollout('PENDING', time('PT1H'), { startAt: iso(30) }), NOW)).toEqual(minutes(30));
    expect(plannedFire(rollout('PENDING', time('PT1H')), NOW)).toBeNull();
  });

  it('ACTIVE, next trigger `time`: when the current stage began plus the duration', () => {
    expect(plannedFire(rollout('ACTIVE', time('PT10M')), NOW)).toEqual(minutes(5));
    expect(plannedFire(rollout('ACTIVE', time('P1DT2H')), NOW)).toEqual(minutes(-5 + (24 + 2) * 60));
  });

  it('ACTIVE, next trigger `at`: its timestamp', () => {
    expect(plannedFire(rollout('ACTIVE', at('2026-06-01T12:30:00+02:00')), NOW)).toBeNull();
    expect(plannedFire(rollout('ACTIVE', at('2026-06-01T14:30:00+00:00')), NOW)).toEqual(
      new Date('2026-06-01T14:30:00Z'),
    );
  });

  it('ACTIVE, next trigger `manual` or `metric`, or no next stage: none', () => {
    expect(plannedFire(rollout('ACTIVE', { type: 'manual' }), NOW)).toBeNull();
    const metric: Trigger = { type: 'metric', metric: 'error_rate', maxValue: 0.01, minSampleSize: 100 };
    expect(plannedFire(rollout('ACTIVE', metric), NOW)).toBeNull();
    expect(plannedFire(rollout('ACTIVE', undefined), NOW)).toBeNull();
  });

  it('PAUSED, COMPLETED, ROLLED_BACK: none, whatever comes next', () => {
    for (const status of ['PAUSED', 'COMPLETED', 'ROLLED_BACK'] as const) {
      expect(plannedFire(rollout(status, time('PT10M'), { startAt: iso(30) }), NOW)).toBeNull();
      expect(plannedFire(rollout(status, at(iso(60))), NOW)).toBeNull();
    }
  });

  it('none for an instant that has come (the 5-minute job acts on it)', () => {
    expect(plannedFire(rollout('PENDING', undefined, { startAt: NOW.toISOString() }), NOW)).toBeNull();
    expect(plannedFire(rollout('PENDING', undefined, { startAt: iso(-1) }), NOW)).toBeNull();
    expect(plannedFire(rollout('ACTIVE', time('PT5M')), NOW)).toBeNull();
    expect(plannedFire(rollout('ACTIVE', time('PT0S')), NOW)).toBeNull();
    expect(plannedFire(rollout('ACTIVE', at(iso(-1))), NOW)).toBeNull();
  });

  it('is the instant the job finds the schedule due: not a millisecond before', () => {
    const cases = [
      rollout('PENDING', undefined, { startAt: iso(30) }),
      rollout('ACTIVE', time('PT10M')),
      rollout('ACTIVE', time('PT1.5S')),
      rollout('ACTIVE', at(iso(90))),
    ];
    for (const schedule of cases) {
      const due = nextDueAt(schedule)!;
      const isDue = (when: Date) => isStartDue(schedule, when) || isNextStageDue(schedule, when);
      expect([isDue(new Date(due.getTime() - 1)), isDue(due)]).toEqual([false, true]);
    }
  });
});

describe('a rollout’s schedule in EventBridge Scheduler', () => {
  const name = rolloutScheduleName('ramp');

  it('is named after the rollout with its own suffix: never an experiment’s schedule of the same key', () => {
    expect(name).toBe(scheduleName('ramp', 'stage'));
    expect(name).toMatch(/^ramp-[0-9a-f]{10}-stage$/);
    expect(name).not.toBe(scheduleName('ramp', 'start'));
    expect(name).not.toBe(scheduleName('ramp', 'end'));
  });

  it('is put at the next due instant, invoking the target with {rolloutKey}, and kept after it fires', async () => {
    await exactTime.sync(rollout('ACTIVE', time('PT10M')), NOW);
    expect(creates()).toEqual([
      {
        Name: name,
        GroupName: settings.groupName,
        Description: 'stage 1 of rollout schedule ramp',
        ScheduleExpression: 'at(2026-06-01T12:05:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        // The fire moves it to the next stage: the Scheduler must not delete it after the move.
        ActionAfterCompletion: 'NONE',
        Target: {
          Arn: settings.targetArn,
          RoleArn: settings.roleArn,
          Input: JSON.stringify({ rolloutKey: 'ramp' }),
          RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
        },
      },
    ]);
    expect(deletes()).toEqual([]);
    // What the target receives is a rollout's input, never an experiment's.
    const input: unknown = JSON.parse(creates()[0]!.Target!.Input!);
    expect(rolloutFireSchema.safeParse(input).success).toBe(true);
    expect(exactTimeFireSchema.safeParse(input).success).toBe(false);
  });

  it('starts a PENDING one at its startAt', async () => {
    await exactTime.sync(rollout('PENDING', time('PT1H'), { startAt: '2026-06-01T13:00:00.400Z' }), NOW);
    expect(creates()).toEqual([
      expect.objectContaining({
        Name: name,
        Description: 'start rollout schedule ramp',
        ScheduleExpression: 'at(2026-06-01T13:00:01)',
      }),
    ]);
  });

  it('is deleted when nothing is ahead by the clock, and when the rollout is deleted', async () => {
    await exactTime.sync(rollout('PAUSED', time('PT10M')), NOW);
    await exactTime.sync(rollout('ACTIVE', { type: 'manual' }), NOW);
    await exactTime.remove('ramp');
    expect(creates()).toEqual([]);
    expect(deletes()).toEqual(Array(3).fill({ Name: name, GroupName: settings.groupName }));
  });
});
