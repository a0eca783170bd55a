import { userChange } from '../../../shared/audit/actor';
import type { Versioned } from '../../../shared/config/versioning';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from '../../../shared/experiments/lifecycle';
import type { Experiment } from '../../../shared/experiments/requests';
import { experimentInputSchema } from '../../../shared/experiments/schema';
import { ExperimentsService } from '../../../shared/experiments/service';
import type { Flag } from '../../../shared/flags/requests';
import { FlagsService } from '../../../shared/flags/service';
import type { Layer } from '../../../shared/layers/requests';
import { LayersService } from '../../../shared/layers/service';
import type { Metric } from '../../../shared/metrics/schema';
import { MetricsService } from '../../../shared/metrics/service';
import { ROLLOUT_STATUSES, type RolloutStatus } from '../../../shared/rollouts/lifecycle';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import type { Segment } from '../../../shared/segments/requests';
import { SegmentsService } from '../../../shared/segments/service';
import { MemoryRepository } from '../../support/memory-config';
import { admin } from '../../support/principals';

/**
 * Dangling references (issue 16): a resource another one names cannot be deleted while that one exists, whatever
 * its state — metrics named by experiments, segments named by flags' rules or experiments' conditions, layers
 * named by experiments, flags ramped by rollout schedules. Only finished experiments (COMPLETED, ARCHIVED) do not
 * hold the flag they served: they never serve it again, their results do not read it, and they cannot be deleted.
 */
const context = userChange(admin, 'req-1');
const change = { principal: admin, context };

const stamp = {
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  createdBy: 'x',
};

function put<T extends Versioned>(
  repo: MemoryRepository<T>,
  item: Omit<T, keyof Versioned> & { key: string },
) {
  repo.items.set(item.key, { ...stamp, ...item } as unknown as T);
}

function stores() {
  const flags = new MemoryRepository<Flag>('flag');
  const segments = new MemoryRepository<Segment>('segment');
  const experiments = new MemoryRepository<Experiment>('experiment');
  const layers = new MemoryRepository<Layer>('layer');
  const metrics = new MemoryRepository<Metric>('metric');
  const rollouts = new MemoryRepository<RolloutSchedule>('rollout');
  put(segments, { key: 'beta', name: 'Beta', included: [], excluded: [], tags: [] } as never);
  put(layers, { key: 'homepage', name: 'Home', tags: [] } as never);
  put(metrics, {
    key: 'purchase',
    name: 'Purchase',
    type: 'conversion',
    eventName: 'purchase',
    tags: [],
  } as never);
  put(flags, {
    key: 'checkout',
    rules: [],
    prerequisites: [],
    variations: [
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ],
    owner: 'admin-1',
  } as never);
  return { flags, segments, experiments, layers, metrics, rollouts };
}

const experiment = (key: string, status: ExperimentStatus, fields: Partial<Experiment>) =>
  ({
    key,
    status,
    variants: [],
    secondaryMetrics: [],
    guardrailMetrics: [],
    ...fields,
  }) as never;

describe('a metric measured by any experiment cannot be deleted', () => {
  it.each([...EXPERIMENT_STATUSES])('%s: 409 naming the experiment, the metric kept', async (status) => {
    const s = stores();
    put(s.experiments, experiment('exp', status, { guardrailMetrics: ['purchase'] }));
    const service = new MetricsService(s.metrics.asRepository(), s.experiments.asRepository());
    await expect(service.remove('purchase', change)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(`metric purchase is measured by experiments exp (${status})`),
      details: { experiments: [{ key: 'exp', status }] },
    });
    expect(s.metrics.items.has('purchase')).toBe(true);
  });

  it('deletes a metric nobody measures', async () => {
    const s = stores();
    put(s.experiments, experiment('exp', 'ARCHIVED', { primaryMetric: 'other' }));
    await new MetricsService(s.metrics.asRepository(), s.experiments.asRepository()).remove(
      'purchase',
      change,
    );
    expect(s.metrics.items.has('purchase')).toBe(false);
  });
});

describe('a segment named by a flag or an experiment cannot be deleted', () => {
  const inBeta = { attribute: 'targetingKey', op: 'in_segment', values: ['beta'] };
  const service = (s: ReturnType<typeof stores>) =>
    new SegmentsService(s.segments.asRepository(), s.flags.asRepository(), s.experiments.asRepository());

  it('a flag, on or off: 409 naming it', async () => {
    const s = stores();
    put(s.flags, {
      key: 'dormant',
      enabled: false,
      rules: [{ id: 'r', conditions: { not: inBeta }, serve: { variation: 'a' } }],
    } as never);
    await expect(service(s).remove('beta', change)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'segment beta is used by flags dormant: remove it there first',
    });
  });

  it.each([...EXPERIMENT_STATUSES])('an experiment %s: 409 naming it', async (status) => {
    const s = stores();
    put(s.experiments, experiment('exp', status, { conditions: { all: [inBeta] } as never }));
    await expect(service(s).remove('beta', change)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `segment beta is used by experiments exp (${status}): remove it there first`,
    });
    expect(s.segments.items.has('beta')).toBe(true);
  });

  it('deletes a segment nobody names', async () => {
    const s = stores();
    put(s.experiments, experiment('exp', 'DRAFT', {}));
    await service(s).remove('beta', change);
    expect(s.segments.items.has('beta')).toBe(false);
  });

  it('refuses an experiment whose conditions name an unknown segment (400 naming body.conditions)', async () => {
    const s = stores();
    const experiments = new ExperimentsService(
      s.experiments.asRepository(),
      s.layers.asRepository(),
      s.flags.asRepository(),
      s.metrics.asRepository(),
      s.segments.asRepository(),
    );
    const input = experimentInputSchema.parse({
      key: 'exp',
      name: 'Exp',
      variants: [
        { key: 'control', name: 'Control', weight: 5000, isControl: true },
        { key: 'b', name: 'B', weight: 5000 },
      ],
      primaryMetric: 'purchase',
      conditions: { any: [{ attribute: 'targetingKey', op: 'in_segment', values: ['nobody'] }] },
    });
    await expect(experiments.create(input, context)).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'body.conditions: unknown segment nobody',
    });
    const known = { ...input, conditions: { all: [inBeta] } } as typeof input;
    await expect(experiments.create(known, context)).resolves.toMatchObject({ key: 'exp', status: 'DRAFT' });
  });
});

describe('a layer named by any experiment cannot be deleted', () => {
  it.each([...EXPERIMENT_STATUSES])('%s: 409 naming the experiment', async (status) => {
    const s = stores();
    put(s.experiments, experiment('exp', status, { layer: 'homepage', layerRange: [0, 5000] }));
    const service = new LayersService(s.layers.asRepository(), s.experiments.asRepository());
    await expect(service.remove('homepage', change)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `layer homepage is used by experiments exp (${status}): move or delete them first`,
    });
    expect(s.layers.items.has('homepage')).toBe(true);
  });
});

describe('a flag cannot be deleted under its rollout schedules or an unfinished experiment', () => {
  const service = (s: ReturnType<typeof stores>) =>
    new FlagsService(
      s.flags.asRepository(),
      s.segments.asRepository(),
      s.experiments.asRepository(),
      s.rollouts.asRepository(),
    );

  it.each([...ROLLOUT_STATUSES])('a rollout schedule %s: 409 naming it', async (status: RolloutStatus) => {
    const s = stores();
    put(s.rollouts, { key: 'ramp', flagKey: 'checkout', status } as never);
    await expect(service(s).remove('checkout', change)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `flag checkout has rollout schedules ramp (${status}): delete them first`,
    });
    expect(s.flags.items.has('checkout')).toBe(true);
  });

  it.each(['DRAFT', 'ACTIVE', 'PAUSED'] as const)('an experiment %s serving it: 409', async (status) => {
    const s = stores();
    put(s.experiments, experiment('exp', status, { flagKey: 'checkout' }));
    await expect(service(s).remove('checkout', change)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it.each(['COMPLETED', 'ARCHIVED'] as const)(
    'but an experiment %s that served it does not hold it (it never serves again)',
    async (status) => {
      const s = stores();
      put(s.experiments, experiment('exp', status, { flagKey: 'checkout' }));
      await service(s).remove('checkout', change);
      expect(s.flags.items.has('checkout')).toBe(false);
    },
  );
});
