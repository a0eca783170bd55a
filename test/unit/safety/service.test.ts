import { systemChange, userChange, type ChangeContext } from '../../../shared/audit/actor';
import type { UserPrincipal } from '../../../shared/auth/principal';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../shared/errors';
import type { Flag } from '../../../shared/flags/requests';
import { flagInputSchema } from '../../../shared/flags/schema';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import { rolloutInputSchema } from '../../../shared/rollouts/schema';
import { RolloutExactTime, rolloutScheduleName } from '../../../shared/rollouts/exact-time';
import { RolloutsService } from '../../../shared/rollouts/service';
import type { OneTimeSchedule, OneTimeSchedules } from '../../../shared/schedules/one-time';
import type { Notifier } from '../../../shared/safety/notifier';
import type {
  RollbackFilter,
  RollbackLog,
  StoredFlagSafety,
  StoredSafetySettings,
} from '../../../shared/safety/repository';
import {
  safetySettingsFieldsSchema,
  type NotificationTargets,
  type RollbackRecord,
} from '../../../shared/safety/schema';
import { planRollback, SafetyService } from '../../../shared/safety/service';
import { MemoryRepository, type Change } from '../../support/memory-config';
import { booleanFlag } from '../../support/flags';

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
const monitor = { context: systemChange('safety', 'job') };
const by = (principal: UserPrincipal) => ({ context: userChange(principal, 'req'), principal });

/** The log of records, in memory, with the audit entry the real one commits beside each. */
class MemoryRollbackLog {
  readonly records: RollbackRecord[] = [];
  constructor(private readonly log: Change[]) {}
  async append(record: RollbackRecord, context: ChangeContext) {
    this.records.push(record);
    this.log.push({
      kind: 'safetyRollback',
      key: record.id,
      action: 'safetyRollback.create',
      actor: context.actor,
      version: 0,
    });
  }
  async find(filter: RollbackFilter = {}) {
    return this.records
      .filter((r) => filter.flagKey === undefined || r.flagKey === filter.flagKey)
      .reverse()
      .slice(0, filter.limit);
  }
}

class RecordingNotifier implements Notifier {
  readonly sent: { record: RollbackRecord; targets: NotificationTargets }[] = [];
  failing = false;
  async notify(record: RollbackRecord, targets: NotificationTargets) {
    if (this.failing) throw new Error('SNS is down');
    this.sent.push({ record, targets });
  }
}

/** The rollouts' exact-time schedules, in memory: what exists by name. */
class RecordingSchedules implements OneTimeSchedules {
  readonly live = new Map<string, OneTimeSchedule>();
  async put(schedule: OneTimeSchedule) {
    this.live.set(schedule.name, schedule);
  }
  async delete(name: string) {
    this.live.delete(name);
  }
}

function setup(options: { safety?: Partial<StoredSafetySettings> | null } = {}) {
  const log: Change[] = [];
  const flags = new MemoryRepository<Flag>('flag', log);
  const rollouts = new MemoryRepository<RolloutSchedule>('rollout', log);
  const settings = new MemoryRepository<StoredSafetySettings>('safetySettings', log);
  const flagConfigs = new MemoryRepository<StoredFlagSafety>('safetyConfig', log);
  const rollbacks = new MemoryRollbackLog(log);
  const notifier = new RecordingNotifier();
  const schedules = new RecordingSchedules();
  const rolloutsService = new RolloutsService(
    rollouts.asRepository(),
    flags.asRepository(),
    new RolloutExactTime(schedules),
  );
  const service = new SafetyService({
    settings: settings.asRepository(),
    flagConfigs: flagConfigs.asRepository(),
    rollbacks: rollbacks as unknown as RollbackLog,
    flags: flags.asRepository(),
    rollouts: rolloutsService,
    notifier,
  });
  const stamp = { version: 1, createdBy: 'admin', createdAt: T0.toISOString(), updatedAt: T0.toISOString() };
  if (options.safety !== null) {
    settings.items.set('global', {
      ...safetySettingsFieldsSchema.parse({ enabled: true }),
      ...options.safety,
      key: 'global',
      ...stamp,
    });
  }
  flags.items.set('checkout', {
    ...flagInputSchema.parse(booleanFlag('checkout', { name: 'Checkout' })),
    owner: owner.sub,
    ...stamp,
  });
  /** A schedule ramping `on` over checkout, started and taken to `stage` (0: 10 %, 1: 50 %). */
  const ramp = async (stage: number) => {
    await rolloutsService.create(
      rolloutInputSchema.parse({
        key: 'ramp',
        flagKey: 'checkout',
        variation: 'on',
        stages: [
          { percentage: 1000, trigger: { type: 'manual' } },
          { percentage: 5000, trigger: { type: 'manual' } },
          { percentage: 10000, trigger: { type: 'manual' } },
        ],
      }),
      userChange(owner, 'req'),
      owner,
      T0,
    );
    for (let i = 0; i <= stage; i++) {
      const version = rollouts.items.get('ramp')!.version;
      await rolloutsService.advance('ramp', { ...by(owner), version }, at(1 + i));
    }
    log.length = 0;
  };
  const flag = () => flags.items.get('checkout')!;
  const schedule = () => rollouts.items.get('ramp')!;
  return {
    log,
    flags,
    rollouts,
    settings,
    flagConfigs,
    rollbacks,
    notifier,
    schedules,
    service,
    ramp,
    flag,
    schedule,
  };
}

const split = (on: number) => ({
  allocations: [
    { variation: 'on', weight: on },
    { variation: 'off', weight: 10000 - on },
  ],
});

describe('SafetyService: settings', () => {
  it('answers the defaults at version 0 before any PUT', async () => {
    const { service } = setup({ safety: null });
    expect(await service.settings()).toEqual({
      enabled: false,
      maxErrorRate: 0.05,
      maxLatencyP95Ms: 1000,
      maxRelativeRegression: 0.1,
      minSampleSize: 100,
      windowMinutes: 10,
      autoRollback: true,
      alpha: 0.05,
      notifications: { emails: [], eventBridge: true },
      version: 0,
    });
  });

  it('creates them at version 0, then replaces them at the version read; a stale version is a 409', async () => {
    const { service, log } = setup({ safety: null });
    const fields = safetySettingsFieldsSchema.parse({ enabled: true, maxErrorRate: 0.02 });
    const change = (version: number) => ({ ...by(admin), version });
    await expect(service.putSettings(fields, change(1), T0)).rejects.toThrow(/at version 0, not 1/);
    expect(await service.putSettings(fields, change(0), T0)).toMatchObject({
      enabled: true,
      maxErrorRate: 0.02,
      version: 1,
      createdBy: 'admin',
    });
    await expect(service.putSettings(fields, change(0), T0)).rejects.toBeInstanceOf(ConflictError);
    const replaced = await service.putSettings({ ...fields, windowMinutes: 5 }, change(1), T0);
    expect(replaced).toMatchObject({ windowMinutes: 5, maxErrorRate: 0.02, version: 2 });
    expect(log.map((c) => c.action)).toEqual(['safetySettings.create', 'safetySettings.update']);
  });
});

describe('SafetyService: per-flag config', () => {
  it('answers no overrides at version 0 with the effective config; 404 for an unknown flag', async () => {
    const { service } = setup({ safety: { maxErrorRate: 0.01 } });
    expect(await service.flagConfig('checkout')).toEqual({
      flagKey: 'checkout',
      version: 0,
      effective: expect.objectContaining({ enabled: true, action: 'previous_stage', maxErrorRate: 0.01 }),
    });
    await expect(service.flagConfig('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets the owning developer or an admin PUT overrides, versioned and audited', async () => {
    const { service, log } = setup();
    const fields = { action: 'off' as const, maxErrorRate: 0.2, enabled: true };
    await expect(
      service.putFlagConfig('checkout', fields, { ...by(stranger), version: 0 }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const created = await service.putFlagConfig('checkout', fields, { ...by(owner), version: 0 }, T0);
    expect(created).toMatchObject({
      flagKey: 'checkout',
      action: 'off',
      maxErrorRate: 0.2,
      version: 1,
      effective: { action: 'off', maxErrorRate: 0.2, maxLatencyP95Ms: 1000, enabled: true },
    });
    await expect(service.putFlagConfig('checkout', {}, { ...by(admin), version: 0 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const cleared = await service.putFlagConfig('checkout', {}, { ...by(admin), version: 1 }, T0);
    expect(cleared).toMatchObject({
      version: 2,
      effective: { action: 'previous_stage', maxErrorRate: 0.05 },
    });
    expect(cleared).not.toHaveProperty('maxErrorRate');
    expect(log.map((c) => c.action)).toEqual(['safetyConfig.create', 'safetyConfig.update']);
    await expect(service.putFlagConfig('nope', {}, { ...by(admin), version: 0 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('SafetyService: which flags are monitored', () => {
  it('watches a flag with a running rollout, or one whose own config enables it, and none while safety is off', async () => {
    const { service, ramp, flagConfigs, flags, settings } = setup();
    expect(await service.monitoredFlags()).toEqual([]);
    await ramp(0);
    expect((await service.monitoredFlags()).map((m) => [m.flag.key, m.rollout?.key])).toEqual([
      ['checkout', 'ramp'],
    ]);
    const other = { ...flags.items.get('checkout')!, key: 'search' };
    flags.items.set('search', other);
    flagConfigs.items.set('search', { ...other, key: 'search', enabled: true });
    expect((await service.monitoredFlags()).map((m) => m.flag.key).sort()).toEqual(['checkout', 'search']);
    // A flag may opt out; the settings' switch turns everything off.
    flagConfigs.items.set('checkout', { ...other, key: 'checkout', enabled: false });
    expect((await service.monitoredFlags()).map((m) => m.flag.key)).toEqual(['search']);
    settings.items.set('global', { ...settings.items.get('global')!, enabled: false });
    expect(await service.monitoredFlags()).toEqual([]);
  });
});

describe('SafetyService: rollBack, previous_stage (the default)', () => {
  it('takes a ramping flag back to the previous stage, ROLLED_BACK, records and notifies once', async () => {
    const { service, ramp, flag, schedule, log, rollbacks, notifier } = setup();
    await ramp(1);
    expect(flag().fallthrough).toEqual(split(5000));
    const snapshot = { on: { errorRate: 0.25 }, off: { errorRate: 0.05 } };
    const record = await service.rollBack(
      'checkout',
      { trigger: 'auto', reason: 'error rate 0.25 > 0.05', metricsSnapshot: snapshot },
      monitor,
      at(30),
    );
    expect(flag().fallthrough).toEqual(split(1000));
    expect(schedule()).toMatchObject({ status: 'ROLLED_BACK', currentStage: 1 });
    expect(record).toMatchObject({
      flagKey: 'checkout',
      trigger: 'auto',
      action: 'previous_stage',
      applied: 'rollout_previous_stage',
      reason: 'error rate 0.25 > 0.05',
      metricsSnapshot: snapshot,
      previousState: {
        flag: { enabled: true, fallthrough: split(5000), version: 3 },
        rollout: { key: 'ramp', status: 'ACTIVE', currentStage: 1, percentage: 5000, version: 3 },
      },
      resultingState: {
        flag: { enabled: true, fallthrough: split(1000), version: 4 },
        rollout: { key: 'ramp', status: 'ROLLED_BACK', currentStage: 1, percentage: 1000, version: 4 },
      },
      at: at(30).toISOString(),
      by: 'system:safety',
      byName: null,
    });
    expect(log.map((c) => [c.action, c.actor])).toEqual([
      ['flag.rollout', 'system:safety'],
      ['rollout.rollBack', 'system:safety'],
      ['safetyRollback.create', 'system:safety'],
    ]);
    expect(rollbacks.records).toEqual([record]);
    expect(notifier.sent).toEqual([{ record, targets: { emails: [], eventBridge: true } }]);
  });

  it('is exactly once: the same breach seen again adds no record, no change, no notification', async () => {
    const { service, ramp, log, rollbacks, notifier, flag } = setup();
    await ramp(1);
    await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30));
    const changes = log.length;
    for (const minute of [31, 32, 33]) {
      expect(
        await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(minute)),
      ).toBeNull();
    }
    await expect(service.rollBackByHand('checkout', 'again', by(admin), at(34))).rejects.toThrow(
      /nothing to roll back: rollout ramp was rolled back and the flag has not changed since/,
    );
    expect(log).toHaveLength(changes);
    expect(rollbacks.records).toHaveLength(1);
    expect(notifier.sent).toHaveLength(1);
    expect(flag().enabled).toBe(true);
  });

  it('deletes the rolled-back rollout’s exact-time schedule (its next stage will not come)', async () => {
    const { service, ramp, rollouts, schedules } = setup();
    await ramp(0);
    // A timed next stage: the rollout service keeps a one-time schedule for it.
    const stored = rollouts.items.get('ramp')!;
    const timed = { percentage: 5000, trigger: { type: 'time' as const, after: 'PT1H' } };
    rollouts.items.set('ramp', { ...stored, stages: [stored.stages[0]!, timed] });
    await schedules.put({
      name: rolloutScheduleName('ramp'),
      at: at(60),
      input: {},
      description: 'stage 1',
      deleteAfterFiring: false,
    });
    await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30));
    expect(schedules.live.size).toBe(0);
  });

  it('rolls back to 0 % from the first stage', async () => {
    const { service, ramp, flag, schedule } = setup();
    await ramp(0);
    await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30));
    expect(flag().fallthrough).toEqual(split(0));
    expect(schedule().status).toBe('ROLLED_BACK');
  });

  it('turns the flag off when no rollout runs, once', async () => {
    const { service, flag, log, notifier } = setup();
    const record = await service.rollBackByHand('checkout', 'looks wrong', by(owner), at(30));
    expect(flag()).toMatchObject({ enabled: false, version: 2 });
    expect(record).toMatchObject({
      trigger: 'manual',
      applied: 'flag_off',
      previousState: { flag: { enabled: true }, rollout: null },
      resultingState: { flag: { enabled: false, version: 2 }, rollout: null },
      by: 'owner',
      byName: 'owner@example.com',
    });
    expect(log.map((c) => c.action)).toEqual(['flag.rollBack', 'safetyRollback.create']);
    expect(
      await service.rollBack('checkout', { trigger: 'auto', reason: 'again' }, monitor, at(31)),
    ).toBeNull();
    await expect(service.rollBackByHand('checkout', 'again', by(owner))).rejects.toThrow(
      /nothing to roll back: it is off and no rollout is running/,
    );
    expect(notifier.sent).toHaveLength(1);
  });

  it('acts again once the flag changed after a rollback (a new breach of a new state)', async () => {
    const { service, ramp, flags, flag } = setup();
    await ramp(1);
    await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30));
    // Someone edits the flag afterwards: the rollback no longer answers for its state.
    await flags.replace(
      flag(),
      { ...flag(), description: 'edited' },
      userChange(owner, 'r'),
      'update',
      at(40),
    );
    const again = await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(41));
    expect(again).toMatchObject({ applied: 'flag_off' });
    expect(flag().enabled).toBe(false);
  });
});

describe('SafetyService: rollBack, action off', () => {
  it('turns the flag off first, then takes its rollout to 0 %, ROLLED_BACK', async () => {
    const { service, ramp, flag, schedule, log, flagConfigs } = setup();
    flagConfigs.items.set('checkout', {
      key: 'checkout',
      action: 'off',
      version: 1,
      createdBy: 'admin',
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    await ramp(1);
    const record = await service.rollBack('checkout', { trigger: 'auto', reason: 'p95' }, monitor, at(30));
    expect(flag()).toMatchObject({ enabled: false, fallthrough: split(0) });
    expect(schedule()).toMatchObject({ status: 'ROLLED_BACK' });
    expect(record).toMatchObject({
      action: 'off',
      applied: 'flag_off_rollout_zero',
      resultingState: { flag: { enabled: false }, rollout: { status: 'ROLLED_BACK', percentage: 0 } },
    });
    expect(log.map((c) => c.action)).toEqual([
      'flag.rollBack',
      'flag.rollout',
      'rollout.rollBack',
      'safetyRollback.create',
    ]);
    expect(
      await service.rollBack('checkout', { trigger: 'auto', reason: 'p95' }, monitor, at(31)),
    ).toBeNull();
  });
});

describe('SafetyService: rollBack, who and when', () => {
  it('lets a developer roll back only the flags they own; an admin any', async () => {
    const { service, ramp, rollbacks } = setup();
    await ramp(1);
    await expect(service.rollBackByHand('checkout', 'x', by(stranger))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(rollbacks.records).toEqual([]);
    await expect(service.rollBackByHand('checkout', 'x', by(admin))).resolves.toMatchObject({
      by: 'admin',
    });
    await expect(service.rollBackByHand('nope', 'x', by(admin))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('does nothing automatically while safety is off for the flag or autoRollback is false; a person still can', async () => {
    for (const safety of [{ enabled: false }, { autoRollback: false }]) {
      const { service, ramp, rollbacks, schedule } = setup({ safety });
      await ramp(1);
      expect(
        await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30)),
      ).toBeNull();
      expect(schedule().status).toBe('ACTIVE');
      expect(rollbacks.records).toEqual([]);
      await expect(service.rollBackByHand('checkout', 'by hand', by(admin))).resolves.toMatchObject({
        applied: 'rollout_previous_stage',
      });
    }
  });

  it('keeps the rollback when the notification fails (logged and alarmed on instead)', async () => {
    const { service, ramp, notifier, rollbacks, schedule } = setup();
    notifier.failing = true;
    await ramp(1);
    await expect(
      service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30)),
    ).resolves.toMatchObject({ applied: 'rollout_previous_stage' });
    expect(schedule().status).toBe('ROLLED_BACK');
    expect(rollbacks.records).toHaveLength(1);
  });

  it('reads again and plans again when a concurrent change moved a version', async () => {
    const { service, ramp, rollouts, schedule, rollbacks } = setup();
    await ramp(1);
    const require = rollouts.require.bind(rollouts);
    let raced = false;
    // The first time the rollout is read for the change, a person pauses it meanwhile.
    rollouts.require = async (key: string) => {
      const stored = await require(key);
      if (!raced) {
        raced = true;
        rollouts.items.set(key, { ...stored, status: 'PAUSED', version: stored.version + 1 });
      }
      return stored;
    };
    const record = await service.rollBack('checkout', { trigger: 'auto', reason: 'breach' }, monitor, at(30));
    expect(record?.previousState.rollout).toMatchObject({ status: 'PAUSED' });
    expect(schedule().status).toBe('ROLLED_BACK');
    expect(rollbacks.records).toHaveLength(1);
  });
});

describe('SafetyService: records and report', () => {
  it('lists records newest first, paginated; the report shows monitored flags with their last rollbacks', async () => {
    const { service, ramp, flags, flag, flagConfigs } = setup();
    await ramp(1);
    await service.rollBack('checkout', { trigger: 'auto', reason: 'first' }, monitor, at(30));
    const other = { ...flag(), key: 'search', enabled: true };
    flags.items.set('search', other);
    flagConfigs.items.set('search', { ...other, key: 'search', enabled: true });
    await service.rollBackByHand('search', 'second', by(admin), at(31));

    const page = await service.listRollbacks({ page: 1, page_size: 1 });
    expect(page).toMatchObject({ total: 2, total_pages: 2, items: [{ reason: 'second' }] });
    const filtered = await service.listRollbacks({ page: 1, page_size: 20, flagKey: 'checkout' });
    expect(filtered.items.map((r) => r.reason)).toEqual(['first']);

    const report = await service.report(at(32));
    expect(report).toMatchObject({ generatedAt: at(32).toISOString(), enabled: true });
    // checkout's rollout is ROLLED_BACK and it has no config: no longer monitored; search is, by its config.
    expect(report.flags).toEqual([
      {
        flagKey: 'search',
        effective: expect.objectContaining({ enabled: true, action: 'previous_stage' }),
        rollout: null,
        recentRollbacks: [expect.objectContaining({ reason: 'second' })],
      },
    ]);
    expect(report.recentRollbacks.map((r) => r.reason)).toEqual(['second', 'first']);
  });
});

describe('planRollback', () => {
  const flag = { key: 'f', enabled: true, updatedAt: T0.toISOString() };
  it('says what a rollback does in each state, and why nothing when nothing', () => {
    expect(planRollback('previous_stage', { ...flag, enabled: false }, null, [])).toEqual({
      applied: null,
      nothing: 'it is off and no rollout is running',
    });
    expect(planRollback('off', flag, null, [])).toEqual({ applied: 'flag_off' });
    expect(planRollback('off', { ...flag, enabled: false }, null, [])).toMatchObject({ applied: null });
  });
});
