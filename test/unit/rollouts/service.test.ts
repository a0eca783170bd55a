import { systemChange, userChange } from '../../../shared/audit/actor';
import type { UserPrincipal } from '../../../shared/auth/principal';
import type { PersonChange, VersionedChange } from '../../../shared/config/versioning';
import { ConflictError, ForbiddenError, ValidationError } from '../../../shared/errors';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Flag } from '../../../shared/flags/requests';
import { flagInputSchema } from '../../../shared/flags/schema';
import { FlagsService } from '../../../shared/flags/service';
import { advanceRollouts } from '../../../shared/rollouts/advancer';
import type { StageMeasure, StageMetrics } from '../../../shared/rollouts/metric-trigger';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import { rolloutInputSchema, type RolloutInput } from '../../../shared/rollouts/schema';
import { RolloutsService } from '../../../shared/rollouts/service';
import type { TriggerMetric } from '../../../shared/rollouts/triggers';
import type { Segment } from '../../../shared/segments/requests';
import { MemoryRepository, type Change } from '../../support/memory-config';

const person = (sub: string, role: 'admin' | 'developer'): UserPrincipal => ({
  kind: 'user',
  sub,
  username: sub,
  email: `${sub}@example.com`,
  groups: [role],
  role,
});
const owner = person('owner', 'developer');
const stranger = person('stranger', 'developer');
const admin = person('admin', 'admin');
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function setup() {
  const log: Change[] = [];
  const flags = new MemoryRepository<Flag>('flag', log);
  const rollouts = new MemoryRepository<RolloutSchedule>('rollout', log);
  const service = new RolloutsService(rollouts.asRepository(), flags.asRepository());
  const flagFields = flagInputSchema.parse({
    key: 'checkout',
    name: 'Checkout',
    kind: 'boolean',
    enabled: true,
    variations: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    rules: [
      {
        id: 'staff',
        conditions: { attribute: 'staff', op: 'eq', values: [true] },
        serve: { variation: 'on' },
      },
    ],
  });
  flags.items.set('checkout', {
    ...flagFields,
    owner: owner.sub,
    version: 1,
    createdBy: owner.sub,
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  });
  const change = (principal: UserPrincipal, version?: number): PersonChange => ({
    principal,
    context: userChange(principal, 'req'),
    version,
  });
  const create = (fields: Partial<RolloutInput> = {}, principal = owner) =>
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
      userChange(principal, 'req'),
      principal,
      T0,
    );
  const fallthrough = () => flags.items.get('checkout')!.fallthrough;
  const schedule = () => rollouts.items.get('ramp')!;
  return { log, flags, rollouts, service, change, create, fallthrough, schedule };
}

const split = (on: number) => ({
  allocations: [
    { variation: 'on', weight: on },
    { variation: 'off', weight: 10000 - on },
  ],
});

describe('RolloutsService: create', () => {
  it('stores a PENDING schedule at stage -1, audited', async () => {
    const { create, log } = setup();
    const created = await create();
    expect(created).toMatchObject({
      key: 'ramp',
      status: 'PENDING',
      currentStage: -1,
      history: [],
      version: 1,
    });
    expect(log).toEqual([expect.objectContaining({ action: 'rollout.create', key: 'ramp', actor: 'owner' })]);
  });

  it('generates an id when none is given', async () => {
    const { create } = setup();
    expect((await create({ key: undefined })).key).toMatch(/^ro-[0-9a-f-]{36}$/);
  });

  it.each<[string, Partial<RolloutInput>, string]>([
    ['an unknown flag', { flagKey: 'nope' }, 'body.flagKey'],
    ['a variation the flag does not have', { variation: 'maybe' }, 'body.variation'],
    [
      'a past `at`',
      { stages: [{ percentage: 10, trigger: { type: 'at', timestamp: '2029-12-31T23:59:59Z' } }] },
      'body.stages.0.trigger.timestamp',
    ],
    ['a past startAt', { startAt: '2029-12-31T00:00:00Z' }, 'body.startAt'],
  ])('refuses %s with 400 naming the field', async (_case, fields, path) => {
    const { create } = setup();
    const error = await create(fields).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual({ issues: [expect.objectContaining({ path })] });
  });

  it('lets a developer ramp only the flags they own; an admin any', async () => {
    const { create } = setup();
    await expect(create({}, stranger)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(create({}, admin)).resolves.toMatchObject({ createdBy: 'admin' });
  });
});

describe('RolloutsService: stages', () => {
  it('advance starts at stage 0, then enters the next: the split grows, the rules stay, one flag version per stage', async () => {
    const { create, service, change, fallthrough, flags, log, schedule } = setup();
    await create();
    const rules = flags.items.get('checkout')!.rules;

    const started = await service.advance('ramp', change(owner, 1), at(1));
    expect(started).toMatchObject({
      status: 'ACTIVE',
      currentStage: 0,
      replacedVariation: 'off',
      version: 2,
    });
    expect(fallthrough()).toEqual(split(1000));
    expect(flags.items.get('checkout')).toMatchObject({ version: 2, rules });

    await service.advance('ramp', change(owner, 2), at(2));
    expect(fallthrough()).toEqual(split(5000));
    const done = await service.advance('ramp', change(owner, 3), at(3));
    expect(done).toMatchObject({ status: 'COMPLETED', currentStage: 2 });
    expect(fallthrough()).toEqual(split(10000));
    expect(flags.items.get('checkout')!.version).toBe(4);
    expect(schedule().history.map((h) => [h.stage, h.percentage, h.by])).toEqual([
      [0, 1000, 'owner'],
      [1, 5000, 'owner'],
      [2, 10000, 'owner'],
    ]);
    // Each stage: the flag first, then the schedule.
    expect(log.slice(1).map((c) => c.action)).toEqual([
      'flag.rollout',
      'rollout.advance',
      'flag.rollout',
      'rollout.advance',
      'flag.rollout',
      'rollout.advance',
    ]);
    await expect(service.advance('ramp', change(owner, 4), at(4))).rejects.toThrow(
      /COMPLETED: cannot advance/,
    );
  });

  it('replaces the largest other allocation of a split fallthrough, keeping its bucketBy', async () => {
    const { create, service, change, flags, fallthrough } = setup();
    const flag = flags.items.get('checkout')!;
    flags.items.set('checkout', {
      ...flag,
      fallthrough: {
        allocations: [
          { variation: 'on', weight: 500 },
          { variation: 'off', weight: 9500 },
        ],
        bucketBy: 'accountId',
      },
    });
    await create();
    await service.advance('ramp', change(owner, 1), at(1));
    expect(fallthrough()).toEqual({ ...split(1000), bucketBy: 'accountId' });
  });

  it('one running schedule per flag: starting a second gives 409 naming the first, and changes nothing', async () => {
    const { create, service, change, rollouts, fallthrough } = setup();
    await create();
    await create({ key: 'second' });
    await service.advance('ramp', change(owner, 1), at(1));
    for (const [status, version, minute] of [
      ['ACTIVE', 2, 1],
      ['PAUSED', 3, 3],
    ] as const) {
      if (status === 'PAUSED') await service.pause('ramp', change(owner, 2), at(2));
      const error = await service.advance('second', change(owner, 1), at(minute)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({
        status: 409,
        code: 'CONFLICT',
        message: expect.stringContaining(`already ramped by rollout schedule ramp (${status})`),
        details: { flagKey: 'checkout', rollout: 'ramp' },
      });
      expect(rollouts.items.get('second')).toMatchObject({ status: 'PENDING', currentStage: -1, version: 1 });
      expect(rollouts.items.get('ramp')).toMatchObject({ status, version });
      expect(fallthrough()).toEqual(split(1000));
    }
  });

  it('pause, resume (the soak starts again), illegal moves named', async () => {
    const { create, service, change, schedule } = setup();
    await create();
    await expect(service.pause('ramp', change(owner, 1), at(1))).rejects.toThrow(
      'rollout schedule ramp is PENDING: cannot pause; allowed: advance',
    );
    await service.advance('ramp', change(owner, 1), at(1));
    await service.pause('ramp', change(owner, 2), at(2));
    expect(schedule().status).toBe('PAUSED');
    await expect(service.advance('ramp', change(owner, 3), at(3))).rejects.toThrow(
      /allowed: resume, rollBack/,
    );
    const resumed = await service.resume('ramp', change(owner, 3), at(30));
    expect(resumed).toMatchObject({ status: 'ACTIVE', stageStartedAt: at(30).toISOString() });
  });

  it('refuses a stale version and a stranger', async () => {
    const { create, service, change } = setup();
    await create();
    await expect(service.advance('ramp', change(owner, 7), at(1))).rejects.toBeInstanceOf(ConflictError);
    await expect(service.advance('ramp', change(stranger, 1), at(1))).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('RolloutsService: PUT and DELETE', () => {
  it('PUT only while PENDING or PAUSED; entered stages, flag and variation locked once started', async () => {
    const { create, service, change, schedule } = setup();
    const created = await create();
    const fields = { flagKey: created.flagKey, variation: created.variation, stages: created.stages };
    const moreStages = [
      ...created.stages.slice(0, 2),
      { percentage: 7500, trigger: { type: 'manual' as const } },
    ];
    await service.replace('ramp', { ...fields, stages: moreStages }, change(owner, 1), at(0));
    expect(schedule().stages[2]?.percentage).toBe(7500);

    await service.advance('ramp', change(owner, 2), at(1));
    await expect(service.replace('ramp', fields, change(owner, 3), at(2))).rejects.toThrow(
      /ACTIVE: it can be changed only while PENDING or PAUSED \(pause it first\)/,
    );
    await service.pause('ramp', change(owner, 3), at(2));
    await expect(
      service.replace(
        'ramp',
        { ...fields, stages: [{ percentage: 500, trigger: { type: 'manual' } }, ...moreStages.slice(1)] },
        change(owner, 4),
        at(3),
      ),
    ).rejects.toThrow('stages.0 is locked: stage 0 was entered already');
    await expect(
      service.replace('ramp', { ...fields, variation: 'off', stages: moreStages }, change(owner, 4), at(3)),
    ).rejects.toThrow(/variation is locked/);
    const later = [...moreStages.slice(0, 1), { percentage: 2000, trigger: { type: 'manual' as const } }];
    await expect(
      service.replace('ramp', { ...fields, stages: later }, change(owner, 4), at(3)),
    ).resolves.toMatchObject({
      status: 'PAUSED',
      version: 5,
    });
  });

  it('DELETE not while ACTIVE', async () => {
    const { create, service, change, rollouts } = setup();
    await create();
    await service.advance('ramp', change(owner, 1), at(1));
    await expect(service.remove('ramp', change(owner))).rejects.toThrow(/ACTIVE: pause it before deleting/);
    await service.pause('ramp', change(owner, 2), at(2));
    await service.remove('ramp', change(owner));
    expect(rollouts.items.has('ramp')).toBe(false);
  });
});

describe('RolloutsService.rollBack', () => {
  it('to the previous stage: the flag back to its share, ROLLED_BACK, in the history, both audited', async () => {
    const { create, service, change, fallthrough, schedule, log } = setup();
    await create();
    await service.advance('ramp', change(owner, 1), at(1));
    await service.advance('ramp', change(owner, 2), at(2));
    const job: VersionedChange = { context: systemChange('safety', 'r1'), version: 3 };
    const rolledBack = await service.rollBack('ramp', { to: 'previous' }, job, at(3));
    expect(fallthrough()).toEqual(split(1000));
    expect(rolledBack.status).toBe('ROLLED_BACK');
    expect(schedule().history.at(-1)).toEqual({
      stage: 0,
      percentage: 1000,
      at: at(3).toISOString(),
      by: 'system:safety',
      action: 'rollBack',
    });
    expect(log.slice(-2).map((c) => [c.action, c.actor])).toEqual([
      ['flag.rollout', 'system:safety'],
      ['rollout.rollBack', 'system:safety'],
    ]);
    await expect(service.advance('ramp', { ...job, version: 4 }, at(4))).rejects.toThrow(/ROLLED_BACK/);
  });

  it('to zero, and from the first stage `previous` is zero too', async () => {
    for (const to of ['zero', 'previous'] as const) {
      const { create, service, change, fallthrough } = setup();
      await create();
      await service.advance('ramp', change(owner, 1), at(1));
      await service.rollBack('ramp', { to }, change(admin, 2), at(2));
      expect(fallthrough()).toEqual(split(0));
    }
  });

  it('not before the start', async () => {
    const { create, service, change } = setup();
    await create();
    await expect(service.rollBack('ramp', { to: 'zero' }, change(owner, 1), at(1))).rejects.toThrow(
      /PENDING: cannot rollBack/,
    );
  });
});

describe('advanceRollouts (the job)', () => {
  const timed = {
    startAt: at(5).toISOString(),
    stages: [
      { percentage: 1000, trigger: { type: 'time' as const, after: 'PT0S' } },
      { percentage: 2000, trigger: { type: 'time' as const, after: 'PT0S' } },
      { percentage: 5000, trigger: { type: 'time' as const, after: 'PT10M' } },
      { percentage: 10000, trigger: { type: 'at' as const, timestamp: at(60).toISOString() } },
    ],
  };

  it('starts at startAt, enters every stage due in one run (each audited), completes, and a second run changes nothing', async () => {
    const { create, service, log, fallthrough, schedule } = setup();
    await create(timed);
    expect(await advanceRollouts(service, 'run-1', at(4))).toEqual({ advanced: [], skipped: [], failed: [] });
    expect(schedule().status).toBe('PENDING');

    // At startAt: stage 0 and, PT0S after it, stage 1; stage 2 waits 10 minutes from stage 1.
    await advanceRollouts(service, 'run-2', at(5));
    expect(schedule()).toMatchObject({ status: 'ACTIVE', currentStage: 1 });
    expect(fallthrough()).toEqual(split(2000));
    expect(log.slice(1).map((c) => [c.action, c.actor])).toEqual([
      ['flag.rollout', 'system:rollouts'],
      ['rollout.advance', 'system:rollouts'],
      ['flag.rollout', 'system:rollouts'],
      ['rollout.advance', 'system:rollouts'],
    ]);
    const changes = log.length;
    expect((await advanceRollouts(service, 'run-3', at(14))).advanced).toEqual([]);
    expect(log).toHaveLength(changes);

    await advanceRollouts(service, 'run-4', at(15));
    expect(schedule().currentStage).toBe(2);
    await advanceRollouts(service, 'run-5', at(59));
    expect(schedule().currentStage).toBe(2);
    await advanceRollouts(service, 'run-6', at(61));
    expect(schedule().status).toBe('COMPLETED');
    expect(fallthrough()).toEqual(split(10000));
    const finished = log.length;
    expect(await advanceRollouts(service, 'run-7', at(120))).toEqual({
      advanced: [],
      skipped: [],
      failed: [],
    });
    expect(log).toHaveLength(finished);
  });

  it('waits at a manual stage however late it runs; `advance` enters it, and the job takes the ramp on from there', async () => {
    const { create, service, change, schedule, fallthrough, log } = setup();
    await create({
      startAt: at(5).toISOString(),
      stages: [
        { percentage: 1000, trigger: { type: 'time', after: 'PT0S' } },
        { percentage: 5000, trigger: { type: 'manual' } },
        { percentage: 10000, trigger: { type: 'time', after: 'PT0S' } },
      ],
    });
    await advanceRollouts(service, 'start', at(5));
    expect(schedule()).toMatchObject({ status: 'ACTIVE', currentStage: 0 });
    const changes = log.length;

    // A day, a year, a century later: stage 1 is never due by the clock.
    for (const minutes of [6, 60 * 24, 60 * 24 * 365, 60 * 24 * 365 * 100]) {
      expect(await advanceRollouts(service, `late-${minutes}`, at(minutes))).toEqual({
        advanced: [],
        skipped: [],
        failed: [],
      });
    }
    expect(schedule()).toMatchObject({ status: 'ACTIVE', currentStage: 0, version: 2 });
    expect(fallthrough()).toEqual(split(1000));
    expect(log).toHaveLength(changes);

    const entered = await service.advance('ramp', change(owner, 2), at(7));
    expect(entered).toMatchObject({ status: 'ACTIVE', currentStage: 1 });
    expect(fallthrough()).toEqual(split(5000));
    expect(schedule().history.at(-1)).toMatchObject({ stage: 1, percentage: 5000, by: 'owner' });
    // Past the manual stage, the clock decides again.
    expect((await advanceRollouts(service, 'after', at(7))).advanced).toEqual(['ramp']);
    expect(schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 2 });
  });

  it('never starts a PENDING schedule that has no startAt', async () => {
    const { create, service, schedule, fallthrough } = setup();
    await create({ stages: [{ percentage: 1000, trigger: { type: 'time', after: 'PT0S' } }] });
    expect((await advanceRollouts(service, 'r', at(60 * 24 * 365))).advanced).toEqual([]);
    expect(schedule()).toMatchObject({ status: 'PENDING', currentStage: -1 });
    expect(fallthrough()).toEqual({ variation: 'off' });
  });

  it('never enters a stage of a PAUSED schedule, though it is due; once resumed, it does', async () => {
    const { create, service, change, schedule } = setup();
    await create({
      stages: [
        { percentage: 100, trigger: { type: 'manual' } },
        { percentage: 200, trigger: { type: 'time', after: 'PT0S' } },
      ],
    });
    await service.advance('ramp', change(owner, 1), at(100));
    await service.pause('ramp', change(owner, 2), at(100));
    expect((await advanceRollouts(service, 'paused', at(200))).advanced).toEqual([]);
    expect(schedule()).toMatchObject({ status: 'PAUSED', currentStage: 0 });
    await service.resume('ramp', change(owner, 3), at(200));
    expect((await advanceRollouts(service, 'resumed', at(200))).advanced).toEqual(['ramp']);
    expect(schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 1 });
  });

  it('re-reads a schedule changed since it was listed instead of overwriting it', async () => {
    const { create, service, change, rollouts, schedule } = setup();
    await create({
      stages: [
        { percentage: 100, trigger: { type: 'manual' } },
        { percentage: 200, trigger: { type: 'time', after: 'PT1M' } },
      ],
    });
    await service.advance('ramp', change(owner, 1), at(0));
    // Someone pauses it while the job holds the ACTIVE version it listed.
    const listed = schedule();
    const realList = rollouts.list.bind(rollouts);
    rollouts.list = async () => [listed];
    await service.pause('ramp', change(owner, 2), at(1));
    const result = await advanceRollouts(service, 'r', at(5));
    rollouts.list = realList;
    expect(result.advanced).toEqual([]);
    expect(schedule()).toMatchObject({ status: 'PAUSED', currentStage: 0, version: 3 });
  });

  it('completes a stage whose flag change was made but whose schedule change was lost, without a second flag version', async () => {
    const { create, service, change, flags, fallthrough, schedule } = setup();
    await create({
      stages: [
        { percentage: 100, trigger: { type: 'manual' } },
        { percentage: 200, trigger: { type: 'time', after: 'PT1M' } },
      ],
    });
    await service.advance('ramp', change(owner, 1), at(0));
    // The flag already serves stage 1's split (its change committed, the schedule's did not).
    const flag = flags.items.get('checkout')!;
    flags.items.set('checkout', { ...flag, fallthrough: split(200), version: flag.version + 1 });
    const version = flags.items.get('checkout')!.version;
    await advanceRollouts(service, 'r', at(5));
    expect(schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 1 });
    expect(fallthrough()).toEqual(split(200));
    expect(flags.items.get('checkout')!.version).toBe(version);
  });
});

describe('FlagsService while a schedule is ACTIVE', () => {
  it('refuses a person’s change of the fallthrough with 409 naming the schedule; other changes pass', async () => {
    const { create, service, change, flags, rollouts } = setup();
    const flagsService = new FlagsService(
      flags.asRepository(),
      new MemoryRepository<Segment>('segment').asRepository(),
      new MemoryRepository<Experiment>('experiment').asRepository(),
      rollouts.asRepository(),
    );
    await create();
    await service.advance('ramp', change(owner, 1), at(1));
    const version = flags.items.get('checkout')!.version;
    const error = await flagsService
      .update('checkout', { fallthrough: { variation: 'on' } }, change(owner, version))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      message: expect.stringContaining('is being ramped by rollout schedule ramp (ACTIVE)'),
      details: { field: 'fallthrough', rollout: 'ramp' },
    });
    expect(flags.items.get('checkout')).toMatchObject({ version, fallthrough: split(1000) });
    const toggled = await flagsService.toggle('checkout', false, change(owner, version));
    expect(toggled.enabled).toBe(false);
    await service.pause('ramp', change(owner, 2), at(2));
    await expect(
      flagsService.update('checkout', { fallthrough: { variation: 'on' } }, change(owner, version + 1)),
    ).resolves.toMatchObject({ fallthrough: { variation: 'on' } });
  });
});

describe('metric triggers (the job)', () => {
  /** The figures the analytics would give: set by the test, with the calls it was asked. */
  class Figures implements StageMetrics {
    current: StageMeasure = { value: null, sampleSize: 0 };
    readonly calls: { variation: string; metric: TriggerMetric; since: string; now: string }[] = [];
    async measure(
      schedule: { flagKey: string; variation: string; stageStartedAt: string },
      metric: TriggerMetric,
      now: Date,
    ): Promise<StageMeasure> {
      this.calls.push({
        variation: schedule.variation,
        metric,
        since: schedule.stageStartedAt,
        now: now.toISOString(),
      });
      return this.current;
    }
  }

  async function ramp(metrics?: Figures) {
    const parts = setup();
    const service = new RolloutsService(
      parts.rollouts.asRepository(),
      parts.flags.asRepository(),
      undefined,
      metrics,
    );
    await parts.create({
      stages: [
        { percentage: 1000, trigger: { type: 'time', after: 'PT0S' } },
        {
          percentage: 5000,
          trigger: { type: 'metric', metric: 'error_rate', maxValue: 0.02, minSampleSize: 500 },
        },
      ],
      startAt: at(1).toISOString(),
    });
    await advanceRollouts(service, 'start', at(1));
    expect(parts.schedule()).toMatchObject({ status: 'ACTIVE', currentStage: 0 });
    return { ...parts, service };
  }

  it('holds while the sample is short or the figure breaches its bound, then advances once both hold', async () => {
    const figures = new Figures();
    const { service, schedule, fallthrough } = await ramp(figures);

    figures.current = { value: 0.001, sampleSize: 499 };
    await advanceRollouts(service, 'short', at(6));
    expect(schedule().currentStage).toBe(0);

    figures.current = { value: 0.05, sampleSize: 5000 };
    await advanceRollouts(service, 'breach', at(11));
    expect(schedule().currentStage).toBe(0);
    expect(fallthrough()).toEqual(split(1000));

    figures.current = { value: 0.02, sampleSize: 500 };
    const result = await advanceRollouts(service, 'within', at(16));
    expect(result.advanced).toEqual(['ramp']);
    expect(schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 1 });
    expect(fallthrough()).toEqual(split(5000));
    // Measured on the rolled-out variation, since stage 0 began.
    expect(figures.calls.at(-1)).toEqual({
      variation: 'on',
      metric: 'error_rate',
      since: at(1).toISOString(),
      now: at(16).toISOString(),
    });
  });

  it('wait for the job where nothing measures them (the HTTP function), and `advance` still enters them', async () => {
    const { service, schedule, change } = await ramp();
    await advanceRollouts(service, 'no figures', at(60));
    expect(schedule().currentStage).toBe(0);
    await service.advance('ramp', change(owner, schedule().version), at(61));
    expect(schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 1 });
  });
});
