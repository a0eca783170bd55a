import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { systemChange, userChange } from '../../../shared/audit/actor';
import type { UserPrincipal } from '../../../shared/auth/principal';
import type { PersonChange } from '../../../shared/config/versioning';
import type { Flag } from '../../../shared/flags/requests';
import { flagInputSchema } from '../../../shared/flags/schema';
import { logger } from '../../../shared/observability';
import { advanceRollouts } from '../../../shared/rollouts/advancer';
import { RolloutExactTime } from '../../../shared/rollouts/exact-time';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import { rolloutInputSchema, type RolloutInput } from '../../../shared/rollouts/schema';
import { RolloutsService } from '../../../shared/rollouts/service';
import { EventBridgeOneTimeSchedules } from '../../../shared/schedules/one-time';
import { MemoryRepository } from '../../support/memory-config';
import { booleanFlag } from '../../support/flags';

/** What RolloutsService asks of EventBridge Scheduler after each change, through the real planner and client. */
const scheduler = mockClient(SchedulerClient);
const exactTime = new RolloutExactTime(
  new EventBridgeOneTimeSchedules(new SchedulerClient({ region: 'eu-west-1' }), {
    groupName: 'schedules',
    targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:target',
    roleArn: 'arn:aws:iam::123456789012:role/invoke',
  }),
);
const NAME = 'ramp-f7d9f5a904-stage';

const owner: UserPrincipal = {
  kind: 'user',
  sub: 'owner',
  username: 'owner',
  email: 'owner@example.com',
  groups: ['developer'],
  role: 'developer',
};
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
/** The at() expression of `minutes` after T0. */
const fireAt = (minutes: number) => `at(${at(minutes).toISOString().slice(0, 19)})`;
const change = (version?: number): PersonChange => ({
  principal: owner,
  context: userChange(owner, 'req'),
  version,
});

/** Each Scheduler call as `put <at()>` or `delete`, in order, all on the rollout's one schedule. */
function calls(): string[] {
  return scheduler.calls().map((call) => {
    const input = call.args[0].input as { Name: string; ScheduleExpression?: string };
    expect(input.Name).toBe(NAME);
    return call.args[0] instanceof DeleteScheduleCommand ? 'delete' : `put ${input.ScheduleExpression}`;
  });
}
const drain = () => {
  const seen = calls();
  scheduler.resetHistory();
  return seen;
};

let flags: MemoryRepository<Flag>;
let rollouts: MemoryRepository<RolloutSchedule>;
let service: RolloutsService;

const create = (fields: Partial<RolloutInput> = {}) =>
  service.create(
    rolloutInputSchema.parse({
      key: 'ramp',
      flagKey: 'checkout',
      variation: 'on',
      stages: [
        { percentage: 1000, trigger: { type: 'manual' } },
        { percentage: 5000, trigger: { type: 'time', after: 'PT10M' } },
        { percentage: 10000, trigger: { type: 'time', after: 'PT10M' } },
      ],
      ...fields,
    }),
    userChange(owner, 'req'),
    owner,
    T0,
  );

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:created' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:updated' });
  scheduler.on(DeleteScheduleCommand).resolves({});
  flags = new MemoryRepository<Flag>('flag');
  rollouts = new MemoryRepository<RolloutSchedule>('rollout');
  service = new RolloutsService(rollouts.asRepository(), flags.asRepository(), exactTime);
  flags.items.set('checkout', {
    ...flagInputSchema.parse(booleanFlag('checkout', { name: 'Checkout' })),
    owner: owner.sub,
    version: 1,
    createdBy: owner.sub,
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  });
});

describe('a rollout’s exact-time schedule follows each change', () => {
  it('create: at startAt when there is one; nothing to do without', async () => {
    await create({ key: 'ramp', startAt: at(60).toISOString() });
    expect(drain()).toEqual([`put ${fireAt(60)}`]);
    await service.remove('ramp', change());
    drain();
    await create();
    expect(drain()).toEqual([]);
  });

  it('PUT: moved with startAt, deleted when startAt is cleared', async () => {
    await create({ startAt: at(60).toISOString() });
    drain();
    const { key: _key, ...fields } = rolloutInputSchema.parse({
      flagKey: 'checkout',
      variation: 'on',
      stages: [{ percentage: 10000, trigger: { type: 'manual' } }],
    });
    await service.replace('ramp', { ...fields, startAt: at(90).toISOString() }, change(1), at(1));
    await service.replace('ramp', fields, change(2), at(2));
    expect(drain()).toEqual([`put ${fireAt(90)}`, 'delete']);
  });

  it('advance, pause, resume (the soak starts again), advance to the end', async () => {
    await create();
    await service.advance('ramp', change(1), at(1)); // stage 0; stage 1 due 10 minutes later
    await service.advance('ramp', change(2), at(2)); // stage 1 by hand; stage 2 due at 12
    await service.pause('ramp', change(3), at(3));
    await service.resume('ramp', change(4), at(5));
    await service.advance('ramp', change(5), at(6)); // COMPLETED: nothing ahead
    expect(drain()).toEqual([
      `put ${fireAt(11)}`,
      `put ${fireAt(12)}`,
      'delete',
      `put ${fireAt(15)}`,
      'delete',
    ]);
  });

  it('a `manual` next stage has no schedule; an `at` one has its timestamp', async () => {
    await create({
      stages: [
        { percentage: 1000, trigger: { type: 'manual' } },
        { percentage: 2000, trigger: { type: 'manual' } },
        { percentage: 3000, trigger: { type: 'at', timestamp: at(45).toISOString() } },
      ],
    });
    await service.advance('ramp', change(1), at(1));
    await service.advance('ramp', change(2), at(2));
    expect(drain()).toEqual(['delete', `put ${fireAt(45)}`]);
  });

  it('rollBack and delete remove it', async () => {
    await create();
    await service.advance('ramp', change(1), at(1));
    await service.rollBack(
      'ramp',
      { to: 'zero' },
      { context: systemChange('safety', 'r'), version: 2 },
      at(2),
    );
    await service.remove('ramp', change(3));
    expect(drain()).toEqual([`put ${fireAt(11)}`, 'delete', 'delete']);
  });

  it('the job: each run that enters a stage moves it to the next one; a run with nothing due calls nothing', async () => {
    await create({ startAt: at(10).toISOString() });
    drain();
    await advanceRollouts(service, 'job-1', at(5));
    expect(drain()).toEqual([]);
    await advanceRollouts(service, 'job-2', at(10)); // started: stage 1 due at 20
    await advanceRollouts(service, 'job-3', at(20)); // stage 1: stage 2 due at 30
    await advanceRollouts(service, 'job-4', at(30)); // COMPLETED
    expect(drain()).toEqual([`put ${fireAt(20)}`, `put ${fireAt(30)}`, 'delete']);
    await advanceRollouts(service, 'job-5', at(40));
    expect(drain()).toEqual([]);
    expect(rollouts.items.get('ramp')!.history.map((h) => h.by)).toEqual(Array(3).fill('system:rollouts'));
  });

  it('the job enters every stage that needs no time in one run, then syncs once', async () => {
    await create({
      startAt: at(10).toISOString(),
      stages: [
        { percentage: 1000, trigger: { type: 'manual' } },
        { percentage: 2000, trigger: { type: 'time', after: 'PT0S' } },
        { percentage: 3000, trigger: { type: 'time', after: 'PT1H' } },
      ],
    });
    drain();
    await advanceRollouts(service, 'job', at(10));
    expect(rollouts.items.get('ramp')!.currentStage).toBe(1);
    expect(drain()).toEqual([`put ${fireAt(70)}`]);
  });

  it('follows the last stage committed when a later one fails', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    await create({
      startAt: at(10).toISOString(),
      stages: [
        { percentage: 1000, trigger: { type: 'manual' } },
        { percentage: 2000, trigger: { type: 'time', after: 'PT0S' } },
        { percentage: 3000, trigger: { type: 'manual' } },
      ],
    });
    drain();
    const replace = flags.replace.bind(flags);
    let writes = 0;
    jest.spyOn(flags, 'replace').mockImplementation((...args) => {
      if (++writes === 2) return Promise.reject(new Error('DynamoDB unavailable'));
      return replace(...args);
    });
    const result = await advanceRollouts(service, 'job', at(10));
    expect(result.failed).toEqual(['ramp']);
    // Started (stage 0, committed), stage 1 failed: the schedule says stage 1 is due now, which the next job run
    // does; nothing ahead for a schedule to fire.
    expect(rollouts.items.get('ramp')).toMatchObject({ status: 'ACTIVE', currentStage: 0 });
    expect(drain()).toEqual(['delete']);
    logged.mockRestore();
  });

  it('a Scheduler failure after the commit is logged, never returned: the change stands', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const failure = new ThrottlingException({
      Message: 'Rate exceeded',
      message: 'Rate exceeded',
      $metadata: {},
    });
    scheduler.on(CreateScheduleCommand).rejects(failure);
    scheduler.on(DeleteScheduleCommand).rejects(failure);
    await create({ startAt: at(60).toISOString() });
    const started = await service.advance('ramp', change(1), at(1));
    expect(started).toMatchObject({ status: 'ACTIVE', version: 2 });
    await service.pause('ramp', change(2), at(2));
    await service.remove('ramp', change(3));
    expect(rollouts.items.size).toBe(0);
    expect(logged).toHaveBeenCalledTimes(4);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/5-minute job/), {
      rollout: 'ramp',
      error: failure,
    });
    logged.mockRestore();
  });

  it('nothing on refused changes', async () => {
    await create();
    drain();
    await expect(service.pause('ramp', change(1), at(1))).rejects.toThrow(/cannot pause/);
    await expect(service.advance('ramp', change(7), at(1))).rejects.toThrow(/version 1, not 7/);
    expect(drain()).toEqual([]);
  });
});
