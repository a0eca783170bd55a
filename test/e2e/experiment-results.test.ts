import { randomUUID } from 'node:crypto';
import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import type { ExperimentResults } from '../../shared/results/service';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually, mapConcurrent, PUBLISH_BUDGET_MS } from '../support/http';

const engines = requireEngines(['java']);

const variants = [
  { key: 'control', name: 'Control', weight: 5000, isControl: true },
  { key: 'treatment', name: 'Treatment', weight: 5000 },
];

engines.describe('experiment results end to end (assignments → events → processor → results)', () => {
  let platform: TestPlatform;
  let devToken = '';
  let analystToken = '';
  let sdkKey = '';
  const url = () => platform.url;
  const dev = apiCaller(url, () => devToken);
  const analyst = apiCaller(url, () => analystToken);
  const sdk = apiCaller(url, () => sdkKey);

  const createRunning = async (key: string) => {
    const body = { key, name: key, variants, primaryMetric: 'purchase', secondaryMetrics: ['revenue'] };
    expect((await dev('POST', '/api/v1/experiments', body)).status).toBe(201);
    expect((await dev('POST', `/api/v1/experiments/${key}/start`, { version: 1 })).status).toBe(200);
  };
  /** Sends events in requests of 500; every event must be accepted. */
  const send = async (events: object[]) => {
    for (let i = 0; i < events.length; i += 500) {
      const res = await sdk('POST', '/api/v1/events', { events: events.slice(i, i + 500) });
      expect(res.status).toBe(200);
      expect(res.json.refused).toEqual([]);
    }
  };
  const results = async (key: string, query = '') => {
    const res = await analyst('GET', `/api/v1/experiments/${key}/results${query}`);
    expect(res.status).toBe(200);
    return res.json as unknown as ExperimentResults;
  };
  const figures = (r: ExperimentResults, metricKey: string, variant: string) =>
    r.metrics.find((m) => m.metricKey === metricKey)!.variants.find((v) => v.variant === variant)!;

  beforeAll(async () => {
    platform = await startTestPlatform({});
    devToken = (await platform.identity.signIn({ role: 'developer' })).token;
    analystToken = (await platform.identity.signIn({ role: 'analyst' })).token;
    const admin = (await platform.identity.signIn({ role: 'admin' })).token;
    sdkKey = (
      await apiCaller(url, () => admin)('POST', '/api/v1/api-keys', { name: 'backend', type: 'server' })
    ).json.secret as string;
    for (const metric of [
      { key: 'purchase', name: 'Purchase', type: 'conversion', eventName: 'purchase' },
      { key: 'revenue', name: 'Revenue', type: 'sum', eventName: 'purchase', valueProperty: 'amount' },
      {
        key: 'page-load',
        name: 'Page load',
        type: 'duration_p95',
        eventName: 'page_load',
        direction: 'decrease',
      },
    ]) {
      expect((await dev('POST', '/api/v1/metrics', metric)).status).toBe(201);
    }
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'detects a planted +10% conversion lift over 20 000 assigned units, with no sample ratio mismatch',
    async () => {
      await createRunning('checkout-lift');
      await eventually(
        'the ruleset carries the experiment',
        async () =>
          (
            (await sdk('POST', '/api/v1/assignments', { unitId: 'probe', experiments: ['checkout-lift'] }))
              .json.assignments as { reason: string }[]
          )[0]!.reason !== 'NOT_RUNNING',
        scaledMs(PUBLISH_BUDGET_MS),
      );
      const units = Array.from({ length: 20_000 }, (_, i) => `unit-${i}`);
      const assigned = await mapConcurrent(units, 16, async (unitId) => {
        const res = await sdk('POST', '/api/v1/assignments', { unitId, experiments: ['checkout-lift'] });
        return (res.json.assignments as { variant: string }[])[0]!.variant;
      });
      // Planted: 20% of control units buy, 22% of treatment units (+10% relative), each for 10 + (i % 5).
      const byVariant: Record<string, string[]> = { control: [], treatment: [] };
      assigned.forEach((variant, i) => byVariant[variant]!.push(units[i]!));
      const buyers = (variant: string, perFifty: number) =>
        byVariant[variant]!.filter((_, i) => i % 50 < perFifty);
      const at = new Date(Date.now() + 1000).toISOString();
      // Interleaved as real traffic is: the results are read while the processor counts, and a backlog of one
      // arm's events before the other's would look like a (reversed) effect to those reads.
      const control = buyers('control', 10);
      const treatment = buyers('treatment', 11);
      // Spread in proportion (each arm's i-th buyer at i / its count), as live traffic is: any prefix holds the two
      // arms' purchases in the ratio of the whole, so a read part-way sees the same lift, not a 1:1 race that a
      // shard's lag could tip the other way.
      const interleaved = [
        ...control.map((unitId, i) => ({ unitId, at: (i + 0.5) / control.length })),
        ...treatment.map((unitId, i) => ({ unitId, at: (i + 0.5) / treatment.length })),
      ]
        .sort((a, b) => a.at - b.at)
        .map((p) => p.unitId);
      const purchases = interleaved.map((unitId, i) => ({
        eventId: randomUUID(),
        type: 'track',
        name: 'purchase',
        unitId,
        timestamp: at,
        properties: { amount: 10 + (i % 5) },
      }));
      // A purchase before exposure does not count; a repeated delivery counts once.
      const early = {
        eventId: randomUUID(),
        type: 'track',
        name: 'purchase',
        unitId: byVariant.control![1]!,
        timestamp: new Date(Date.now() - 3_600_000).toISOString(),
      };
      await send([...purchases, early]);
      await send(purchases.slice(0, 500));

      // The reads while the processor counts are looks too, and must not put a confidence sequence on the wrong
      // side for good: looks count once each arm has the minimum sample, and the processor commits each batch with
      // the arms in proportion (docs/statistics.md, "When looks start counting").
      let r = await results('checkout-lift');
      await eventually(
        'the processor has counted every exposure and purchase',
        async () => {
          r = await results('checkout-lift');
          const converted = ['control', 'treatment'].reduce(
            (sum, v) => sum + (figures(r, 'purchase', v).conversions ?? 0),
            0,
          );
          return r.variants.reduce((sum, v) => sum + v.units, 0) >= 20_001 && converted >= purchases.length;
        },
        scaledMs(120_000),
        1000,
      );
      r = await results('checkout-lift');
      const n = { control: byVariant.control!.length, treatment: byVariant.treatment!.length };
      // Every assigned unit, plus the probe unit of the readiness check.
      expect(r.variants.reduce((sum, v) => sum + v.units, 0)).toBe(20_001);
      expect(figures(r, 'purchase', 'control').conversions).toBe(buyers('control', 10).length);
      expect(figures(r, 'purchase', 'treatment').conversions).toBe(buyers('treatment', 11).length);
      expect(figures(r, 'revenue', 'control').units).toBe(r.variants.find((v) => v.key === 'control')!.units);
      expect(Math.abs(n.control - n.treatment) / 20_000).toBeLessThan(0.03);
      expect(r.sampleRatioMismatch.mismatch).toBe(false);

      const purchase = r.metrics.find((m) => m.metricKey === 'purchase')!;
      expect(purchase.test).toBe('two-proportion-z');
      const [lift] = purchase.comparisons;
      expect(lift!.pValue).toBeLessThan(0.05);
      expect(lift!.relativeEffect).toBeGreaterThan(0.05);
      expect(lift!.relativeEffect).toBeLessThan(0.15);
      expect(lift!.relativeCI![0]).toBeGreaterThan(0);
      expect(lift!.chanceToBeatControl).toBeGreaterThan(0.95);
      expect(lift!.sequentialPValue).toBeGreaterThanOrEqual(lift!.pValue!);
      // Sequential by default: the verdict reads the running minimum of the always-valid p-value.
      expect(lift!.alwaysValidPValue).toBeLessThan(0.05);
      expect(lift).toMatchObject({ outcome: 'better', significant: true });
      expect(r.verdict.status).toBe('WINNER');
      expect(r.verdict.winners).toEqual(['treatment']);
      expect(r.verdict.message).toMatch(
        /^Beats control: treatment \+[\d.]+% on Purchase \(always-valid p = /,
      );
      // The running bound is stored: a second read shows the same (or a lower) figure.
      const again = (await results('checkout-lift')).metrics[0]!.comparisons[0]!;
      expect(again.alwaysValidPValue!).toBeLessThanOrEqual(lift!.alwaysValidPValue!);

      // CUPED never changes the test: the conversion metric keeps the z-test.
      const cuped = await analyst('GET', '/api/v1/experiments/checkout-lift/results?cuped=true');
      expect(cuped.status).toBe(200);
      expect((cuped.json as unknown as ExperimentResults).metrics[0]!.test).toBe('two-proportion-z');
      expect((await analyst('GET', '/api/v1/experiments/checkout-lift/results?cuped=maybe')).status).toBe(
        400,
      );
    },
    scaledMs(600_000),
  );

  it(
    'flags a planted 45/55 split on a 50/50 experiment as a sample ratio mismatch',
    async () => {
      await createRunning('skewed');
      const at = new Date().toISOString();
      // Exposures as an SDK in local mode logs them: 45% control, 55% treatment.
      const exposures = Array.from({ length: 10_000 }, (_, i) => ({
        eventId: randomUUID(),
        type: 'exposure',
        name: '$exposure',
        unitId: `skewed-${i}`,
        timestamp: at,
        experimentKey: 'skewed',
        variant: i % 20 < 9 ? 'control' : 'treatment',
      }));
      await send(exposures);
      let r = await results('skewed');
      await eventually(
        'the processor has counted every exposure',
        async () => {
          r = await results('skewed');
          return r.variants.reduce((sum, v) => sum + v.units, 0) >= 10_000;
        },
        scaledMs(120_000),
        1000,
      );
      expect(r.variants.map((v) => v.units)).toEqual([4500, 5500]);
      expect(r.sampleRatioMismatch.mismatch).toBe(true);
      expect(r.sampleRatioMismatch.pValue).toBeLessThan(0.001);
      expect(r.verdict.status).toBe('SAMPLE_RATIO_MISMATCH');
    },
    scaledMs(300_000),
  );

  // SKIPPED, not done (issue 15 stays open): in 1 of 3 full clean-clone runs the processor never counted this
  // experiment's page loads within 338 s (exposures to an experiment started after the processor loaded its
  // configuration, suspected). Passes alone and in the other runs; to be fixed in the processor, then unskipped.
  it(
    'plans a draft, locks the analysis once started, and gives GUARDRAIL_HARM with p95 intervals for a slower arm',
    async () => {
      const analysis = { minimumDetectableEffect: 0.1, power: 0.8, baseline: { mean: 0.2 } };
      // A fixed horizon must be planned: no baseline, no experiment.
      const unplanned = await dev('POST', '/api/v1/experiments', {
        key: 'unplanned',
        name: 'unplanned',
        variants,
        primaryMetric: 'purchase',
        analysis: { sequential: false, minimumDetectableEffect: 0.1 },
      });
      expect(unplanned.status).toBe(400);
      const body = {
        key: 'slow-page',
        name: 'Slow page',
        variants,
        primaryMetric: 'purchase',
        guardrailMetrics: ['page-load'],
        analysis,
      };
      expect((await dev('POST', '/api/v1/experiments', body)).status).toBe(201);
      // The plan of the draft at 10 000 eligible units a day.
      const draft = (await analyst('GET', '/api/v1/experiments/slow-page/results?dailyUnits=10000'))
        .json as unknown as ExperimentResults;
      expect(draft.plan).toMatchObject({ metricKey: 'purchase', sequential: true, unitsPerDay: 10_000 });
      expect(draft.plan!.expectedDays).toBeCloseTo(draft.plan!.totalUnits / 10_000, 9);
      expect(draft.verdict.status).toBe('NO_DATA');

      expect((await dev('POST', '/api/v1/experiments/slow-page/start', { version: 1 })).status).toBe(200);
      const locked = await dev('PATCH', '/api/v1/experiments/slow-page', {
        analysis: { ...analysis, alpha: 0.1 },
        version: 2,
      });
      expect(locked.status).toBe(409);

      // 3 000 units exposed (as an SDK in local mode logs them); the treatment's pages load 30 % slower.
      const at = new Date().toISOString();
      const loadOf = (i: number) => 100 * Math.exp(0.6 * Math.sin(i * 12.9898) + 0.3 * Math.cos(i * 7.77));
      const loads: Record<string, number[]> = { control: [], treatment: [] };
      const events = Array.from({ length: 3000 }, (_, i) => {
        const variant = i % 2 === 0 ? 'control' : 'treatment';
        const value = loadOf(i) * (variant === 'treatment' ? 1.3 : 1);
        loads[variant]!.push(value);
        const common = { unitId: `slow-${i}`, timestamp: at };
        return [
          {
            ...common,
            eventId: randomUUID(),
            type: 'exposure',
            name: '$exposure',
            experimentKey: 'slow-page',
            variant,
          },
          { ...common, eventId: randomUUID(), type: 'track', name: 'page_load', value },
        ];
      }).flat();
      await send(events);
      let r = await results('slow-page');
      await eventually(
        'the processor has counted every page load',
        async () => {
          r = await results('slow-page');
          const load = r.metrics.find((m) => m.metricKey === 'page-load')!;
          return load.variants.reduce((sum, v) => sum + (v.units ?? 0), 0) >= 3000;
        },
        scaledMs(120_000),
        1000,
      );
      const load = r.metrics.find((m) => m.metricKey === 'page-load')!;
      expect(load.quantiles).toMatchObject({ tested: 0.95, resolution: 'fine' });
      for (const figures of load.variants) {
        const sorted = [...loads[figures.variant]!].sort((a, b) => a - b);
        const exact = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
        expect(Math.abs(figures.p95! / exact - 1)).toBeLessThanOrEqual(load.quantiles!.relativeError);
        const p95 = figures.quantiles!.find((q) => q.quantile === 0.95)!;
        expect(p95.bracket![0]).toBeLessThanOrEqual(exact);
        expect(p95.bracket![1]).toBeGreaterThan(exact);
        expect(p95.interval![0]).toBeLessThan(p95.interval![1]);
      }
      expect(load.comparisons[0]).toMatchObject({ test: 'quantile-z', outcome: 'worse', significant: true });
      expect(r.verdict).toMatchObject({
        status: 'GUARDRAIL_HARM',
        harms: [{ variant: 'treatment', metricKey: 'page-load' }],
      });
      expect(r.verdict.message).toMatch(/^Guardrail harm: treatment worsens Page load /);
      expect(r.plan).toMatchObject({ metricKey: 'purchase', baseline: { mean: 0.2, source: 'settings' } });
    },
    scaledMs(300_000),
  );

  it('shows results to analysts and up, not to viewers', async () => {
    const viewer = (await platform.identity.signIn({ role: 'viewer' })).token;
    const res = await apiCaller(url, () => viewer)('GET', '/api/v1/experiments/skewed/results');
    expect(res.status).toBe(403);
    expect((await analyst('GET', '/api/v1/experiments/no-such/results')).status).toBe(404);
  });
});
