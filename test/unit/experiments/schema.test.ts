import { experimentInputSchema } from '../../../shared/experiments/schema';
import {
  experimentRequests,
  scheduleExperimentBodySchema,
  transitionExperimentBodySchema,
} from '../../../shared/experiments/requests';
import { layerRequests } from '../../../shared/layers/requests';

const valid = {
  key: 'checkout-button',
  name: 'Checkout button',
  variants: [
    { key: 'control', name: 'Control', weight: 5000, isControl: true },
    { key: 'green', name: 'Green', weight: 5000, payload: { color: 'green' } },
  ],
};

const issues = (input: unknown) => {
  const result = experimentInputSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('experiment schema', () => {
  it('fills the defaults', () => {
    expect(experimentInputSchema.parse(valid)).toEqual({
      ...valid,
      variants: [valid.variants[0], { ...valid.variants[1], isControl: false }],
      description: '',
      tags: [],
      trafficAllocation: 10_000,
      unitAttribute: 'userId',
      secondaryMetrics: [],
      guardrailMetrics: [],
      analysis: {
        alpha: 0.05,
        sequential: true,
        correction: 'holm',
        secondaryCorrection: 'benjamini-hochberg',
        power: 0.8,
      },
    });
  });

  it('takes analysis settings, and wants a fixed horizon planned before the start', () => {
    expect(
      issues({
        ...valid,
        analysis: {
          alpha: 0.01,
          sequential: false,
          correction: 'bonferroni',
          secondaryCorrection: 'none',
          minimumDetectableEffect: 0.05,
          power: 0.9,
          baseline: { mean: 0.1 },
        },
      }),
    ).toEqual([]);
    expect(issues({ ...valid, analysis: { sequential: false } })).toEqual([
      'analysis.minimumDetectableEffect: is required with sequential: false (it plans the sample size the verdict waits for)',
      'analysis.baseline: is required with sequential: false (it plans the sample size the verdict waits for)',
    ]);
    expect(issues({ ...valid, analysis: { alpha: 0.5 } })[0]).toMatch(/^analysis\.alpha: /);
    expect(issues({ ...valid, analysis: { correction: 'sidak' } })[0]).toMatch(/^analysis\.correction: /);
    expect(issues({ ...valid, analysis: { baseline: { mean: 0 } } })[0]).toMatch(
      /^analysis\.baseline\.mean: /,
    );
    expect(issues({ ...valid, analysis: { minimumDetectableEffect: 0 } })[0]).toMatch(
      /^analysis\.minimumDetectableEffect: /,
    );
  });

  it('accepts every optional field', () => {
    expect(
      issues({
        ...valid,
        trafficAllocation: 8000,
        unitAttribute: 'accountId',
        conditions: { attribute: 'country', op: 'in', values: ['FR'] },
        layer: 'checkout',
        layerRange: [0, 5000],
        primaryMetric: 'purchase',
        secondaryMetrics: ['revenue'],
        guardrailMetrics: ['errors'],
        startAt: '2026-01-01T00:00:00Z',
        endAt: '2026-02-01T00:00:00Z',
        flagKey: 'checkout-flag',
        salt: 's1',
      }),
    ).toEqual([]);
  });

  it('wants 2 to 10 variants', () => {
    expect(issues({ ...valid, variants: [{ ...valid.variants[0], weight: 10_000 }] })[0]).toMatch(
      /^variants: /,
    );
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      key: `v${i}`,
      name: `V${i}`,
      weight: i === 0 ? 1000 : 900,
      isControl: i === 0,
    }));
    expect(issues({ ...valid, variants: eleven })[0]).toMatch(/^variants: /);
    expect(
      issues({
        ...valid,
        variants: eleven.slice(0, 10).map((v, i) => ({ ...v, weight: i === 0 ? 1900 : 900 })),
      }),
    ).toEqual([]);
  });

  it('wants exactly one control, pointing at the field', () => {
    expect(issues({ ...valid, variants: valid.variants.map((v) => ({ ...v, isControl: false })) })).toEqual([
      'variants: needs exactly one control variant (isControl: true)',
    ]);
    expect(issues({ ...valid, variants: valid.variants.map((v) => ({ ...v, isControl: true })) })).toEqual([
      'variants.1.isControl: only one variant may be the control',
    ]);
  });

  it('wants weights summing to 10000', () => {
    expect(
      issues({ ...valid, variants: [valid.variants[0], { ...valid.variants[1], weight: 4000 }] }),
    ).toEqual(['variants: weights must sum to 10000 (they sum to 9000)']);
    expect(
      issues({ ...valid, variants: [valid.variants[0], { ...valid.variants[1], weight: -1 }] })[0],
    ).toMatch(/^variants\.1\.weight: /);
  });

  it('wants unique variant keys', () => {
    expect(
      issues({ ...valid, variants: [valid.variants[0], { ...valid.variants[1], key: 'control' }] }),
    ).toEqual(['variants.1.key: repeats a variant key']);
  });

  it('bounds trafficAllocation to 0..10000', () => {
    expect(issues({ ...valid, trafficAllocation: 0 })).toEqual([]);
    expect(issues({ ...valid, trafficAllocation: 10_001 })[0]).toMatch(/^trafficAllocation: /);
    expect(issues({ ...valid, trafficAllocation: -1 })[0]).toMatch(/^trafficAllocation: /);
    expect(issues({ ...valid, trafficAllocation: 1.5 })[0]).toMatch(/^trafficAllocation: /);
  });

  it('wants layer and layerRange together, with 0 <= start < end <= 10000', () => {
    expect(issues({ ...valid, layer: 'l' })).toEqual(['layerRange: is required with a layer']);
    expect(issues({ ...valid, layerRange: [0, 10] })).toEqual(['layer: is required with a layerRange']);
    expect(issues({ ...valid, layer: 'l', layerRange: [10, 10] })).toEqual([
      'layerRange: start must be below end ([start, end))',
    ]);
    expect(issues({ ...valid, layer: 'l', layerRange: [0, 10_001] })[0]).toMatch(/^layerRange\.1: /);
    expect(issues({ ...valid, layer: 'l', layerRange: [-1, 10] })[0]).toMatch(/^layerRange\.0: /);
    expect(issues({ ...valid, layer: 'l', layerRange: [0, 10_000] })).toEqual([]);
  });

  it('wants endAt after startAt and ISO timestamps', () => {
    expect(issues({ ...valid, startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' })).toEqual([
      'endAt: must be after startAt',
    ]);
    expect(issues({ ...valid, startAt: 'tomorrow' })[0]).toMatch(/^startAt: /);
    expect(issues({ ...valid, endAt: '2026-01-01T00:00:00Z' })).toEqual([]);
  });

  it('refuses unknown fields and server fields', () => {
    expect(issues({ ...valid, status: 'ACTIVE' })[0]).toMatch(/status/);
  });

  it('takes an optional transition body and a schedule body', () => {
    expect(transitionExperimentBodySchema.parse(undefined)).toBeUndefined();
    expect(transitionExperimentBodySchema.parse({ version: 3 })).toEqual({ version: 3 });
    expect(transitionExperimentBodySchema.safeParse({ version: 0 }).success).toBe(false);
    expect(scheduleExperimentBodySchema.parse({ version: 1 })).toEqual({ version: 1 });
    expect(scheduleExperimentBodySchema.safeParse({ startAt: 'soon' }).success).toBe(false);
  });
});

describe('PATCH bodies', () => {
  it('apply no defaults, so a PATCH changes only the fields it sends', () => {
    expect(experimentRequests.patch.parse({ description: 'x', version: 2 })).toEqual({
      description: 'x',
      version: 2,
    });
    expect(layerRequests.patch.parse({ name: 'x' })).toEqual({ name: 'x' });
    expect(experimentRequests.patch.safeParse({ startAt: '2026-01-01T00:00:00Z' }).success).toBe(false);
  });
});
