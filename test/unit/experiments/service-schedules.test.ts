import { systemChange } from '../../../shared/audit/actor';
import { ConflictError } from '../../../shared/errors';
import type { ExactTimeScheduler } from '../../../shared/experiments/exact-time';
import type { Experiment } from '../../../shared/experiments/requests';
import { experimentInputSchema } from '../../../shared/experiments/schema';
import { ExperimentsService } from '../../../shared/experiments/service';
import type { Flag } from '../../../shared/flags/requests';
import type { Layer } from '../../../shared/layers/requests';
import type { Metric } from '../../../shared/metrics/schema';
import { logger } from '../../../shared/observability';
import type { Segment } from '../../../shared/segments/requests';
import { MemoryRepository } from '../../support/memory-config';

/** Records what the service asks of the exact-time scheduler. */
class RecordingScheduler implements ExactTimeScheduler {
  readonly calls: string[] = [];
  failWith: Error | null = null;
  async sync(experiment: Experiment) {
    this.calls.push(`sync ${experiment.key} ${experiment.status} ${experiment.startAt} ${experiment.endAt}`);
    if (this.failWith) throw this.failWith;
  }
  async remove(key: string) {
    this.calls.push(`remove ${key}`);
    if (this.failWith) throw this.failWith;
  }
}

const context = { actor: 'dev-sub', actorName: 'dev@example.com', requestId: 'req-1' };
const START = '2026-07-01T09:00:00.000Z';
const END = '2026-07-08T09:00:00.000Z';
const input = (extra: Record<string, unknown> = {}) =>
  experimentInputSchema.parse({
    key: 'checkout',
    name: 'Checkout',
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'b', name: 'B', weight: 5000 },
    ],
    ...extra,
  });

let experiments: MemoryRepository<Experiment>;
let exactTime: RecordingScheduler;
let service: ExperimentsService;

beforeEach(() => {
  experiments = new MemoryRepository<Experiment>('experiment');
  exactTime = new RecordingScheduler();
  service = new ExperimentsService(
    experiments.asRepository(),
    new MemoryRepository<Layer>('layer').asRepository(),
    new MemoryRepository<Flag>('flag').asRepository(),
    new MemoryRepository<Metric>('metric').asRepository(),
    new MemoryRepository<Segment>('segment').asRepository(),
    exactTime,
  );
});

describe('the exact-time schedules follow the experiment', () => {
  it('on create, when the experiment has a schedule (and not otherwise)', async () => {
    await service.create(input({ key: 'plain' }), context);
    expect(exactTime.calls).toEqual([]);
    await service.create(input({ startAt: START, endAt: END }), context);
    expect(exactTime.calls).toEqual([`sync checkout DRAFT ${START} ${END}`]);
  });

  it('on a schedule change, including one that clears the times', async () => {
    await service.create(input(), context);
    await service.schedule('checkout', { startAt: START, endAt: END }, { context, version: 1 });
    await service.schedule('checkout', {}, { context, version: 2 });
    expect(exactTime.calls).toEqual([
      `sync checkout DRAFT ${START} ${END}`,
      'sync checkout DRAFT undefined undefined',
    ]);
  });

  it('on every transition, by a person or by the scheduler', async () => {
    await service.create(input({ endAt: END }), context);
    exactTime.calls.length = 0;
    await service.transition('checkout', 'start', { context, version: 1 });
    await service.transition('checkout', 'pause', { context, version: 2 });
    await service.transition('checkout', 'resume', { context, version: 3 });
    await service.transition('checkout', 'complete', {
      context: systemChange('scheduler', 'r'),
      version: 4,
    });
    expect(exactTime.calls).toEqual(
      ['ACTIVE', 'PAUSED', 'ACTIVE', 'COMPLETED'].map((s) => `sync checkout ${s} undefined ${END}`),
    );
  });

  it('on delete', async () => {
    await service.create(input({ startAt: START }), context);
    exactTime.calls.length = 0;
    await service.remove('checkout', { context, version: 1 });
    expect(exactTime.calls).toEqual(['remove checkout']);
  });

  it('not on edits that leave the schedule and status alone, nor on refused changes', async () => {
    await service.create(input({ startAt: START }), context);
    exactTime.calls.length = 0;
    await service.update('checkout', { name: 'Renamed' }, { context, version: 1 });
    await expect(service.transition('checkout', 'pause', { context, version: 2 })).rejects.toThrow(
      ConflictError,
    );
    await expect(service.schedule('checkout', { startAt: END }, { context, version: 1 })).rejects.toThrow(
      /version 2, not 1/,
    );
    expect(exactTime.calls).toEqual([]);
  });

  it('a Scheduler failure after the commit is logged, never returned: the change stands', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    exactTime.failWith = new Error('ThrottlingException');
    const created = await service.create(input({ startAt: START, endAt: END }), context);
    expect(created.status).toBe('DRAFT');
    const scheduled = await service.schedule('checkout', { endAt: END }, { context, version: 1 });
    expect(scheduled.version).toBe(2);
    await service.remove('checkout', { context, version: 2 });
    expect(experiments.items.size).toBe(0);
    expect(logged).toHaveBeenCalledTimes(3);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/sweep/), {
      experimentKey: 'checkout',
      error: exactTime.failWith,
    });
    logged.mockRestore();
  });
});
