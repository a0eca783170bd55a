import { analysisSettingsSchema } from '../../../shared/experiments/analysis';
import {
  plan,
  planningProblems,
  settingsBaseline,
  unitsEnteringPerDay,
} from '../../../shared/experiments/planning';
import { sampleSize } from '../../../shared/stats';

const settings = (fields: object) => analysisSettingsSchema.parse(fields);

describe('planning problems', () => {
  it('needs a plannable primary metric and the baseline its type needs', () => {
    const mde = settings({ minimumDetectableEffect: 0.05 });
    expect(planningProblems(settings({}), undefined)).toEqual([]);
    expect(planningProblems(mde, undefined)).toEqual([
      { path: 'primaryMetric', message: expect.stringMatching(/^is required to plan/) },
    ]);
    expect(planningProblems(mde, { key: 'p95', type: 'duration_p95' })[0]!.path).toBe('analysis');
    const sd = settings({ minimumDetectableEffect: 0.05, baseline: { mean: 40 } });
    expect(planningProblems(sd, { key: 'revenue', type: 'sum' })[0]!.path).toBe(
      'analysis.baseline.standardDeviation',
    );
    expect(planningProblems(sd, { key: 'converted', type: 'conversion' })[0]!.path).toBe(
      'analysis.baseline.mean',
    );
    expect(
      planningProblems(settings({ minimumDetectableEffect: 0.05, baseline: { mean: 0.3 } }), {
        key: 'converted',
        type: 'conversion',
      }),
    ).toEqual([]);
    expect(settingsBaseline(settings({ baseline: { mean: 0.25 } }), 'conversion')).toEqual({
      mean: 0.25,
      standardDeviation: Math.sqrt(0.25 * 0.75),
      source: 'settings',
    });
  });
});

describe('plan', () => {
  const variants = [
    { key: 'control', weight: 5000, isControl: true },
    { key: 'a', weight: 2500, isControl: false },
    { key: 'b', weight: 2500, isControl: false },
  ];

  it('plans every arm at α split by the arms, and the total by the smallest share', () => {
    const analysis = settings({
      sequential: false,
      minimumDetectableEffect: 0.05,
      baseline: { mean: 50, standardDeviation: 20 },
    });
    const result = plan({
      metricKey: 'revenue',
      type: 'sum',
      direction: 'increase',
      settings: analysis,
      variants,
      baseline: settingsBaseline(analysis, 'sum')!,
      observed: {},
      unitsPerDay: { value: 1000, source: 'query' },
    })!;
    expect(result.alphaPerComparison).toBe(0.025);
    // Each treatment against a control twice its size: statsmodels' NormalIndPower with ratio 2.
    const treatment = sampleSize({
      effect: 2.5,
      controlVariance: 400,
      treatmentVariance: 400,
      alpha: 0.025,
      target: 0.8,
      ratio: 2,
    })!;
    expect(result.variants.map((v) => v.plannedUnits)).toEqual([
      Math.ceil(treatment * 2),
      Math.ceil(treatment),
      Math.ceil(treatment),
    ]);
    expect(result.totalUnits).toBe(Math.ceil(treatment * 2) + 2 * Math.ceil(treatment));
    expect(result.expectedDays).toBeCloseTo(result.totalUnits / 1000, 10);
    expect(result).toMatchObject({ progress: 0, reached: false, achievedPower: null });
  });

  it('counts the traffic allocation and the layer range in the units entering per day', () => {
    expect(unitsEnteringPerDay(10_000, { trafficAllocation: 5000 })).toBe(5000);
    expect(unitsEnteringPerDay(10_000, { trafficAllocation: 5000, layerRange: [0, 2000] })).toBe(1000);
  });
});
