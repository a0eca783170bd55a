import type { FlagMinuteTotals, FlagUnitSums } from '../../../shared/analytics/store';
import type { Flag } from '../../../shared/flags/requests';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import { NO_UNITS } from '../../../shared/safety/decision';
import type { FlagHealthStore } from '../../../shared/safety/health';
import { assessFlag, monitorSafety } from '../../../shared/safety/monitor';
import { SAFETY_DEFAULTS, type EffectiveSafetyConfig } from '../../../shared/safety/schema';
import type { MonitoredFlag, RollbackRequest } from '../../../shared/safety/service';

const NOW = new Date('2030-01-01T12:30:00Z');

/** Figures per flag/variation, as the analytics table would answer; records what was asked. */
class Figures implements FlagHealthStore {
  readonly minutes = new Map<string, Partial<FlagMinuteTotals>>();
  readonly units = new Map<string, Partial<FlagUnitSums>>();
  readonly asked: string[] = [];
  failing = new Set<string>();
  async readFlagMinutes(flagKey: string, variation: string, from: string, to: string) {
    this.asked.push(`minutes ${flagKey}/${variation} ${from}..${to}`);
    if (this.failing.has(flagKey)) throw new Error('DynamoDB is down');
    return {
      errors: 0,
      requests: 0,
      latencySum: 0,
      latencySquares: 0,
      histogram: {},
      latencyP95: null,
      ...this.minutes.get(`${flagKey}/${variation}`),
    };
  }
  async readFlagUnitSums(flagKey: string, variation: string, from: string, to: string) {
    this.asked.push(`units ${flagKey}/${variation} ${from}..${to}`);
    return { ...NO_UNITS, ...this.units.get(`${flagKey}/${variation}`) };
  }
}

const effective: EffectiveSafetyConfig = {
  ...SAFETY_DEFAULTS,
  enabled: true,
  action: 'previous_stage',
  minSampleSize: 100,
  windowMinutes: 10,
  autoRollback: true,
} as EffectiveSafetyConfig;

const flag = (key: string): Flag =>
  ({
    key,
    variations: [
      { key: 'a', value: 'a' },
      { key: 'b', value: 'b' },
      { key: 'off', value: 'off' },
    ],
    offVariation: 'off',
  }) as unknown as Flag;

const rollout = (percentage: number): RolloutSchedule =>
  ({
    key: 'ramp',
    flagKey: 'f',
    variation: 'b',
    replacedVariation: 'a',
    status: 'ACTIVE',
    currentStage: 0,
    stages: [{ percentage, trigger: { type: 'manual' } }],
    stageStartedAt: '2030-01-01T10:45:00Z',
  }) as unknown as RolloutSchedule;

const monitored = (key: string, r: RolloutSchedule | null, e = effective): MonitoredFlag => ({
  flag: flag(key),
  config: null,
  effective: e,
  rollout: r,
});

describe('assessFlag: which variations are guarded, against what', () => {
  it('a ramp: the rolled-out variation against the replaced one, windows and the stage’s hours as asked', async () => {
    const store = new Figures();
    const result = await assessFlag(store, monitored('f', rollout(5000)), NOW);
    expect(result.variations.map((v) => [v.guarded.variation, v.control?.variation])).toEqual([['b', 'a']]);
    expect(store.asked.sort()).toEqual([
      'minutes f/a 2030-01-01T12:21Z..2030-01-01T12:30Z',
      'minutes f/b 2030-01-01T12:21Z..2030-01-01T12:30Z',
      'units f/a 2030-01-01T10Z..2030-01-01T12Z',
      'units f/b 2030-01-01T10Z..2030-01-01T12Z',
    ]);
    expect(result).toMatchObject({ flagKey: 'f', healthy: true, reason: null });
  });

  it('a ramp at 100 %: no control, absolute limits only', async () => {
    const result = await assessFlag(new Figures(), monitored('f', rollout(10_000)), NOW);
    expect(result.variations).toHaveLength(1);
    expect(result.variations[0]!.control).toBeNull();
    expect(result.variations[0]!.assessment.checks.map((c) => c.check)).toEqual([
      'error_rate',
      'latency_p95',
    ]);
  });

  it('no rollout: every variation but the off one, on absolute limits; a breach names its variation', async () => {
    const store = new Figures();
    store.minutes.set('f/a', { requests: 200, errors: 40 });
    const result = await assessFlag(store, monitored('f', null), NOW);
    expect(result.variations.map((v) => v.guarded.variation)).toEqual(['a', 'b']);
    expect(result.healthy).toBe(false);
    expect(result.reason).toBe('a: error rate 20 % > 5 % over 200 requests');
  });
});

describe('monitorSafety', () => {
  function service(flags: MonitoredFlag[], rolledBack: (key: string) => boolean = () => true) {
    const calls: { flagKey: string; request: RollbackRequest; actor: string }[] = [];
    return {
      calls,
      monitoredFlags: async () => flags,
      rollBack: async (flagKey: string, request: RollbackRequest, change: { context: { actor: string } }) => {
        calls.push({ flagKey, request, actor: change.context.actor });
        return rolledBack(flagKey) ? ({ id: `rb-${flagKey}` } as never) : null;
      },
    };
  }

  it('rolls back each breaching flag as system:safety with the reason and a snapshot; healthy ones are left', async () => {
    const store = new Figures();
    store.minutes.set('bad/a', { requests: 300, errors: 150 });
    const s = service([monitored('bad', null), monitored('fine', null)]);
    const result = await monitorSafety(s, store, 'run-1', NOW);
    expect(result).toEqual({ monitored: 2, breached: ['bad'], rolledBack: ['bad'], failed: [] });
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]).toMatchObject({
      flagKey: 'bad',
      actor: 'system:safety',
      request: { trigger: 'auto', reason: 'a: error rate 50 % > 5 % over 300 requests' },
    });
    const snapshot = s.calls[0]!.request.metricsSnapshot as { at: string; variations: unknown[] };
    expect(snapshot.at).toBe(NOW.toISOString());
    expect(snapshot.variations).toHaveLength(2);
  });

  it('a breach with nothing left to roll back is not counted as a rollback; autoRollback off only reports it', async () => {
    const store = new Figures();
    store.minutes.set('done/a', { requests: 300, errors: 150 });
    store.minutes.set('manual/a', { requests: 300, errors: 150 });
    const s = service(
      [monitored('done', null), monitored('manual', null, { ...effective, autoRollback: false })],
      () => false,
    );
    const result = await monitorSafety(s, store, 'run-2', NOW);
    expect(result).toEqual({ monitored: 2, breached: ['done', 'manual'], rolledBack: [], failed: [] });
    expect(s.calls.map((c) => c.flagKey)).toEqual(['done']);
  });

  it('a flag that cannot be read fails alone', async () => {
    const store = new Figures();
    store.failing.add('broken');
    store.minutes.set('bad/a', { requests: 300, errors: 150 });
    const s = service([monitored('broken', null), monitored('bad', null)]);
    const result = await monitorSafety(s, store, 'run-3', NOW);
    expect(result).toEqual({ monitored: 2, breached: ['bad'], rolledBack: ['bad'], failed: ['broken'] });
  });
});
