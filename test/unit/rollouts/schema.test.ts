import { rolloutInputSchema } from '../../../shared/rollouts/schema';

const valid = {
  flagKey: 'checkout',
  variation: 'on',
  stages: [
    { percentage: 1000, trigger: { type: 'manual' } },
    { percentage: 5000, trigger: { type: 'time', after: 'PT1H' } },
    { percentage: 10000, trigger: { type: 'at', timestamp: '2030-01-01T00:00:00Z' } },
  ],
};

/** The first issue's path and message, as the API reports it (body.<path>). */
function refusal(body: unknown): { path: string; message: string } | null {
  const result = rolloutInputSchema.safeParse(body);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  return { path: issue.path.join('.'), message: issue.message };
}

describe('rollout schedule schema', () => {
  it('takes a valid ramp, with or without an id and a startAt', () => {
    expect(refusal(valid)).toBeNull();
    expect(refusal({ ...valid, key: 'checkout-ramp', startAt: '2030-01-01T00:00:00Z' })).toBeNull();
    expect(
      refusal({ ...valid, stages: [{ percentage: 0, trigger: { type: 'time', after: 'PT0S' } }] }),
    ).toBeNull();
    const metric = (trigger: object) => ({
      ...valid,
      stages: [{ percentage: 10, trigger: { type: 'metric', minSampleSize: 100, ...trigger } }],
    });
    expect(refusal(metric({ metric: 'error_rate', maxValue: 0.01 }))).toBeNull();
    expect(refusal(metric({ metric: 'latency_p95', maxValue: 250, minValue: 0 }))).toBeNull();
  });

  it.each([
    [
      'a decreasing percentage',
      { ...valid, stages: [valid.stages[1], { percentage: 4999, trigger: { type: 'manual' } }] },
      'stages.1.percentage',
      /must not decrease/,
    ],
    [
      'a percentage above 10000',
      { ...valid, stages: [{ percentage: 10001, trigger: { type: 'manual' } }] },
      'stages.0.percentage',
      /10000/,
    ],
    [
      'a negative percentage',
      { ...valid, stages: [{ percentage: -1, trigger: { type: 'manual' } }] },
      'stages.0.percentage',
      /0/,
    ],
    [
      'a fractional percentage',
      { ...valid, stages: [{ percentage: 10.5, trigger: { type: 'manual' } }] },
      'stages.0.percentage',
      /int/,
    ],
    [
      'a bad duration',
      { ...valid, stages: [{ percentage: 10, trigger: { type: 'time', after: '1 hour' } }] },
      'stages.0.trigger.after',
      /ISO-8601 duration/,
    ],
    [
      'a duration in months',
      { ...valid, stages: [{ percentage: 10, trigger: { type: 'time', after: 'P1M' } }] },
      'stages.0.trigger.after',
      /ISO-8601 duration/,
    ],
    [
      'an `at` that is no timestamp',
      { ...valid, stages: [{ percentage: 10, trigger: { type: 'at', timestamp: 'tomorrow' } }] },
      'stages.0.trigger.timestamp',
      /./,
    ],
    [
      'a metric trigger on an unknown metric',
      {
        ...valid,
        stages: [
          {
            percentage: 10,
            trigger: { type: 'metric', metric: 'errors', maxValue: 0.01, minSampleSize: 100 },
          },
        ],
      },
      'stages.0.trigger.metric',
      /unknown metric "errors": a metric trigger measures error_rate or latency_p95/,
    ],
    [
      'a metric trigger without a bound',
      {
        ...valid,
        stages: [{ percentage: 10, trigger: { type: 'metric', metric: 'error_rate', minSampleSize: 100 } }],
      },
      'stages.0.trigger.maxValue',
      /give maxValue, minValue or both/,
    ],
    [
      'an error rate bound above 1',
      {
        ...valid,
        stages: [
          {
            percentage: 10,
            trigger: { type: 'metric', metric: 'error_rate', maxValue: 5, minSampleSize: 100 },
          },
        ],
      },
      'stages.0.trigger.maxValue',
      /between 0 and 1/,
    ],
    [
      'a minValue above maxValue',
      {
        ...valid,
        stages: [
          {
            percentage: 10,
            trigger: {
              type: 'metric',
              metric: 'latency_p95',
              maxValue: 100,
              minValue: 200,
              minSampleSize: 100,
            },
          },
        ],
      },
      'stages.0.trigger.minValue',
      /must not be above maxValue/,
    ],
    [
      'a metric trigger without a sample size',
      {
        ...valid,
        stages: [{ percentage: 10, trigger: { type: 'metric', metric: 'latency_p95', maxValue: 100 } }],
      },
      'stages.0.trigger.minSampleSize',
      /./,
    ],
    [
      'an unknown trigger type',
      { ...valid, stages: [{ percentage: 10, trigger: { type: 'soon' } }] },
      'stages.0.trigger.type',
      /./,
    ],
    ['no stages', { ...valid, stages: [] }, 'stages', /./],
    ['a bad variation key', { ...valid, variation: 'has space' }, 'variation', /./],
    ['a bad id', { ...valid, key: 'Has Upper' }, 'key', /./],
    ['an unknown field', { ...valid, extra: 1 }, '', /extra/],
  ])('refuses %s, naming the field', (_case, body, path, message) => {
    const issue = refusal(body);
    expect(issue?.path).toBe(path);
    expect(issue?.message).toMatch(message);
  });
});
