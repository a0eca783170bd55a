import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { eventSchema, type SwitchyardEvent } from '../../shared/events/schema';
import { streamEvents } from '../support/event-stream';
import { requireEngines } from '../support/engines';
import type { Ruleset } from '../../shared/rules/types';
import { apiCaller, eventually, mapConcurrent, PUBLISH_BUDGET_MS } from '../support/http';

const engines = requireEngines(['java']);

interface AssignmentAnswer {
  experimentKey: string;
  variant: string | null;
  payload: unknown;
  inExperiment: boolean;
  reason: string;
}

/** Chi-square goodness of fit with 2 degrees of freedom: the survival function is exp(-x/2). */
function chiSquareDf2(observed: readonly number[], expectedShares: readonly number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  const statistic = observed.reduce((sum, o, i) => {
    const e = total * expectedShares[i]!;
    return sum + (o - e) ** 2 / e;
  }, 0);
  return Math.exp(-statistic / 2);
}

const variants = [
  { key: 'control', name: 'Control', weight: 5000, isControl: true },
  { key: 'treatment', name: 'Treatment', weight: 5000, payload: { buttonColor: 'green' } },
];

engines.describe('experiment assignment end to end (schedule → sweep → assignments → exposures)', () => {
  let platform: TestPlatform;
  let devToken = '';
  let sdkKey = '';
  const url = () => platform.url;
  const dev = apiCaller(url, () => devToken);
  const sdk = apiCaller(url, () => sdkKey);
  const units = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  /** unit → variant of the first pass (null when outside the experiment). */
  const firstPass = new Map<string, string | null>();
  /** Assignments in an experiment that the API returned: each must be one exposure on the stream. */
  let exposuresReturned = 0;

  const assign = async (body: unknown): Promise<{ revision: number; assignments: AssignmentAnswer[] }> => {
    const res = await sdk('POST', '/api/v1/assignments', body);
    expect(res.status).toBe(200);
    const answer = res.json as unknown as { revision: number; assignments: AssignmentAnswer[] };
    exposuresReturned += answer.assignments.filter((a) => a.inExperiment).length;
    return answer;
  };
  const assignmentOf = async (experimentKey: string, unitId: string): Promise<AssignmentAnswer> => {
    const { assignments } = await assign({ unitId, experiments: [experimentKey] });
    return assignments[0]!;
  };
  const running = async (experimentKey: string) =>
    (await assignmentOf(experimentKey, 'probe-unit')).reason !== 'NOT_RUNNING';

  beforeAll(async () => {
    // One "minute" = 40 ms: the 15-minute sweep runs every 600 ms.
    platform = await startTestPlatform({
      msPerMinute: 40,
    });
    devToken = (await platform.identity.signIn({ role: 'developer' })).token;
    const adminToken = (await platform.identity.signIn({ role: 'admin' })).token;
    const key = await apiCaller(url, () => adminToken)('POST', '/api/v1/api-keys', {
      name: 'backend',
      type: 'server',
    });
    sdkKey = key.json.secret as string;
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'a scheduled DRAFT starts on time and assigns 10 000 units: ~80% in, split 50/50, sticky',
    async () => {
      const created = await dev('POST', '/api/v1/experiments', {
        key: 'checkout-button',
        name: 'Checkout button',
        variants,
        trafficAllocation: 8000,
      });
      expect(created.status).toBe(201);
      const scheduled = await dev('PUT', '/api/v1/experiments/checkout-button/schedule', {
        startAt: new Date(Date.now() + 2000).toISOString(),
        endAt: new Date(Date.now() + 3_600_000).toISOString(),
        version: 1,
      });
      expect(scheduled.status).toBe(200);
      expect((await assignmentOf('checkout-button', 'early-unit')).reason).toBe('NOT_RUNNING');

      await eventually(
        'the sweep starts it',
        async () => (await dev('GET', '/api/v1/experiments/checkout-button')).json.status === 'ACTIVE',
        scaledMs(10_000),
      );
      await eventually(
        'the ruleset carries it',
        () => running('checkout-button'),
        scaledMs(PUBLISH_BUDGET_MS),
      );

      const answers = await mapConcurrent(units, 16, (unit) => assignmentOf('checkout-button', unit));
      const counts = { control: 0, treatment: 0, out: 0 };
      answers.forEach((a, i) => {
        firstPass.set(units[i]!, a.variant);
        if (!a.inExperiment) {
          expect(a).toMatchObject({ reason: 'OUTSIDE_TRAFFIC', variant: null, payload: null });
          counts.out++;
        } else {
          expect(a.reason).toBe('ASSIGNED');
          counts[a.variant as 'control' | 'treatment']++;
          expect(a.payload).toEqual(a.variant === 'treatment' ? { buttonColor: 'green' } : null);
        }
      });
      const inShare = (counts.control + counts.treatment) / units.length;
      expect(inShare).toBeGreaterThan(0.78);
      expect(inShare).toBeLessThan(0.82);
      // control 40%, treatment 40%, outside 20%.
      expect(chiSquareDf2([counts.control, counts.treatment, counts.out], [0.4, 0.4, 0.2])).toBeGreaterThan(
        0.001,
      );

      // Sticky: a second pass over a sample, with other context attributes, gives the same answers.
      const sample = units.filter((_, i) => i % 5 === 0);
      const again = await mapConcurrent(sample, 16, async (unit) => {
        const { assignments } = await assign({ context: { userId: unit, plan: 'pro' } });
        return assignments.find((a) => a.experimentKey === 'checkout-button')!.variant;
      });
      again.forEach((variant, i) => expect(variant).toBe(firstPass.get(sample[i]!)));
    },
    scaledMs(300_000),
  );

  it(
    'raising traffic from 80% to 90% keeps every assigned unit in its variant',
    async () => {
      const current = (await dev('GET', '/api/v1/experiments/checkout-button')).json;
      const raised = await dev('PATCH', '/api/v1/experiments/checkout-button', {
        trafficAllocation: 9000,
        version: current.version,
      });
      expect(raised.status).toBe(200);
      expect(
        (
          await dev('PATCH', '/api/v1/experiments/checkout-button', {
            trafficAllocation: 8500,
            version: raised.json.version,
          })
        ).status,
      ).toBe(409);
      // Waits for the ruleset to carry the new traffic itself: a revision read after the PATCH may already include
      // it (propagation takes ~0.4 s), and a later one may come from another change.
      await eventually(
        'the new traffic is published',
        async () => {
          const ruleset = (await sdk('GET', '/api/v1/sdk/ruleset')).json as unknown as Ruleset;
          return ruleset.experiments?.find((e) => e.key === 'checkout-button')?.trafficAllocation === 9000;
        },
        scaledMs(PUBLISH_BUDGET_MS),
      );

      const answers = await mapConcurrent(units, 16, (unit) => assignmentOf('checkout-button', unit));
      let inNow = 0;
      answers.forEach((a, i) => {
        const previous = firstPass.get(units[i]!);
        if (previous !== null) expect(a.variant).toBe(previous);
        if (a.inExperiment) inNow++;
      });
      expect(inNow / units.length).toBeGreaterThan(0.88);
      expect(inNow / units.length).toBeLessThan(0.92);
    },
    scaledMs(300_000),
  );

  it(
    'two experiments in one layer never share a unit',
    async () => {
      expect((await dev('POST', '/api/v1/layers', { key: 'checkout', name: 'Checkout' })).status).toBe(201);
      for (const [key, layerRange] of [
        ['layer-left', [0, 5000]],
        ['layer-right', [5000, 10_000]],
      ] as const) {
        const body = { key, name: key, variants, layer: 'checkout', layerRange };
        expect((await dev('POST', '/api/v1/experiments', body)).status).toBe(201);
        expect((await dev('POST', `/api/v1/experiments/${key}/start`, { version: 1 })).status).toBe(200);
      }
      const overlapping = await dev('POST', '/api/v1/experiments', {
        key: 'layer-overlap',
        name: 'Overlap',
        variants,
        layer: 'checkout',
        layerRange: [4000, 6000],
      });
      expect(overlapping.status).toBe(409);
      await eventually(
        'both are published',
        async () => (await running('layer-left')) && running('layer-right'),
        scaledMs(PUBLISH_BUDGET_MS),
      );

      const sample = units.slice(0, 3000);
      const answers = await mapConcurrent(sample, 16, async (unitId) => {
        return (await assign({ unitId, experiments: ['layer-left', 'layer-right'] })).assignments;
      });
      let left = 0;
      for (const [l, r] of answers) {
        expect(l!.inExperiment && r!.inExperiment).toBe(false);
        expect(l!.inExperiment || r!.inExperiment).toBe(true);
        expect([l!.reason, r!.reason]).toContain('OUTSIDE_LAYER');
        if (l!.inExperiment) left++;
      }
      expect(left / sample.length).toBeGreaterThan(0.45);
      expect(left / sample.length).toBeLessThan(0.55);
    },
    scaledMs(120_000),
  );

  it(
    'logged every assignment in an experiment exactly once as an exposure on the stream',
    async () => {
      let exposures: SwitchyardEvent[] = [];
      await eventually(
        'all exposures are on the stream',
        async () => {
          exposures = (await streamEvents(platform.eventsStreamName)).filter((e) => e.type === 'exposure');
          return exposures.length >= exposuresReturned;
        },
        scaledMs(15_000),
        500,
      );
      expect(exposures).toHaveLength(exposuresReturned);
      for (const event of exposures) expect(eventSchema.safeParse(event).success).toBe(true);
      expect(new Set(exposures.map((e) => e.eventId)).size).toBe(exposures.length);
      const first = exposures.find(
        (e) => e.type === 'exposure' && e.unitId === 'user-0' && e.experimentKey === 'checkout-button',
      );
      const expected = firstPass.get('user-0');
      if (expected !== null && expected !== undefined) {
        expect(first).toMatchObject({ type: 'exposure', name: '$exposure', variant: expected });
      }
    },
    scaledMs(60_000),
  );

  it('refuses a request with neither unit nor context, with a clear error', async () => {
    const res = await sdk('POST', '/api/v1/assignments', { experiments: ['checkout-button'] });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(String(res.json.message)).toMatch(/unitId or context/);
  });
});
