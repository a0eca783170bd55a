import type { FlagMinuteTotals } from '../../../shared/analytics/store';
import {
  AnalyticsStageMetrics,
  isMetricTriggerMet,
  metricTriggerStatus,
} from '../../../shared/rollouts/metric-trigger';
import type { FlagHealthStore } from '../../../shared/safety/health';

const trigger = { metric: 'error_rate', maxValue: 0.02, minSampleSize: 100 };

describe('isMetricTriggerMet', () => {
  it('needs the sample, a value, and the value within both bounds (inclusive)', () => {
    expect(isMetricTriggerMet(trigger, { value: 0.01, sampleSize: 99 })).toBe(false);
    expect(isMetricTriggerMet(trigger, { value: null, sampleSize: 1000 })).toBe(false);
    expect(isMetricTriggerMet(trigger, { value: 0.021, sampleSize: 1000 })).toBe(false);
    expect(isMetricTriggerMet(trigger, { value: 0.02, sampleSize: 100 })).toBe(true);
    const band = { metric: 'latency_p95', minValue: 10, maxValue: 200, minSampleSize: 1 };
    expect(isMetricTriggerMet(band, { value: 9, sampleSize: 5 })).toBe(false);
    expect(isMetricTriggerMet(band, { value: 10, sampleSize: 5 })).toBe(true);
  });

  it('says why it waits', () => {
    expect(metricTriggerStatus(trigger, { value: 0.5, sampleSize: 20 })).toBe(
      'error_rate: 20 of 100 requests measured',
    );
    expect(metricTriggerStatus(trigger, { value: 0.5, sampleSize: 200 })).toBe(
      'error_rate = 0.5 (needs ≤ 0.02)',
    );
  });
});

describe('AnalyticsStageMetrics', () => {
  const totals = (t: Partial<FlagMinuteTotals>): FlagMinuteTotals => ({
    errors: 0,
    requests: 0,
    latencySum: 0,
    latencySquares: 0,
    histogram: {},
    latencyP95: null,
    ...t,
  });

  function store(answer: FlagMinuteTotals) {
    const reads: unknown[][] = [];
    const fake: FlagHealthStore = {
      readFlagMinutes: async (...args) => {
        reads.push(args);
        return answer;
      },
      readFlagUnitSums: async () => {
        throw new Error('not used by triggers');
      },
    };
    return { fake, reads };
  }
  const schedule = { flagKey: 'checkout', variation: 'on', stageStartedAt: '2030-01-01T10:15:30Z' };
  const now = new Date('2030-01-01T10:42:10Z');

  it('error_rate: error events ÷ latency events of the rolled-out variation, from the stage’s minute to now', async () => {
    const { fake, reads } = store(totals({ errors: 3, requests: 200, latencyP95: 80 }));
    const measure = await new AnalyticsStageMetrics(fake).measure(schedule, 'error_rate', now);
    expect(measure).toEqual({ value: 0.015, sampleSize: 200 });
    expect(reads).toEqual([['checkout', 'on', '2030-01-01T10:15Z', '2030-01-01T10:42Z']]);
  });

  it('latency_p95 from the histogram; no requests → no value', async () => {
    const p95 = await new AnalyticsStageMetrics(
      store(totals({ requests: 50, latencyP95: 120 })).fake,
    ).measure(schedule, 'latency_p95', now);
    expect(p95).toEqual({ value: 120, sampleSize: 50 });
    const none = await new AnalyticsStageMetrics(store(totals({})).fake).measure(schedule, 'error_rate', now);
    expect(none).toEqual({ value: null, sampleSize: 0 });
  });
});
