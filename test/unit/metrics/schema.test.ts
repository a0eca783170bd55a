import {
  METRIC_TYPES,
  metricInputSchema,
  metricRequests,
  VALUE_METRIC_TYPES,
} from '../../../shared/metrics/schema';

const base = { key: 'revenue', name: 'Revenue', eventName: 'purchase' };

describe('metric definitions', () => {
  it.each(METRIC_TYPES)('a %s metric takes a valueProperty only if it reads values', (type) => {
    const result = metricInputSchema.safeParse({ ...base, type, valueProperty: 'amount' });
    expect(result.success).toBe(VALUE_METRIC_TYPES.includes(type));
    if (!result.success) {
      expect(result.error.issues).toEqual([
        expect.objectContaining({ path: ['valueProperty'], message: expect.stringContaining(type) }),
      ]);
    }
    expect(metricInputSchema.safeParse({ ...base, type }).success).toBe(true);
  });

  it('fills the defaults on create and replace, never on patch', () => {
    expect(metricInputSchema.parse({ ...base, type: 'count' })).toMatchObject({
      description: '',
      tags: [],
      direction: 'increase',
    });
    const { key: _key, ...fields } = base;
    expect(metricRequests.replace.parse({ ...fields, type: 'count' })).toMatchObject({
      direction: 'increase',
    });
    expect(metricRequests.patch.parse({ name: 'Renamed', version: 2 })).toEqual({
      name: 'Renamed',
      version: 2,
    });
  });

  it('refuses unknown fields and a key in the update bodies', () => {
    expect(metricInputSchema.safeParse({ ...base, type: 'sum', unit: 'EUR' }).success).toBe(false);
    expect(metricRequests.patch.safeParse({ key: 'other' }).success).toBe(false);
  });
});
