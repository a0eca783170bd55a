import * as z from 'zod';
import { tagFilter, textFilter, versionedRequests } from '../config/requests';
import { versionedFields, type Versioned } from '../config/versioning';
import { resourceKeySchema, tagsSchema } from '../rules/schema';

/**
 * Metric definitions (SPEC §2.5). How a unit's value is computed from its events after exposure:
 * - conversion: 1 when the unit sent at least one event named `eventName`, else 0;
 * - count: the number of such events;
 * - sum: the sum of their values (`valueProperty` of `properties`, else the event's `value`);
 * - mean: Σ values / Σ valued events over the units that sent at least one (a ratio; the delta method);
 * - duration_p95: the 95th percentile of their values (latency-like), per variant.
 */
export const METRIC_TYPES = ['conversion', 'count', 'sum', 'mean', 'duration_p95'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** The types computed from the events' values; conversion and count only count events. */
export const VALUE_METRIC_TYPES: readonly MetricType[] = ['sum', 'mean', 'duration_p95'];

export const METRIC_DIRECTIONS = ['increase', 'decrease'] as const;

/** Every field a client sets, without the cross-field rules (PUT/PATCH bodies derive from it). */
export const metricFieldsSchema = z.strictObject({
  key: resourceKeySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  tags: tagsSchema.default([]),
  type: z.enum(METRIC_TYPES),
  eventName: z.string().trim().min(1).max(200).describe('The track event this metric counts'),
  valueProperty: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Property holding the value (sum, mean, duration_p95 only); default the event’s `value`'),
  direction: z.enum(METRIC_DIRECTIONS).default('increase').describe('Which way is better'),
  window: z
    .strictObject({
      hours: z
        .number()
        .int()
        .min(1)
        .max(24 * 90),
    })
    .optional()
    .describe('Count only events within this many hours after exposure'),
});

type MetricFields = z.infer<typeof metricFieldsSchema>;

/** Cross-field rules: a value property only for the types that read a value. */
export function checkMetricConsistency(
  metric: Pick<MetricFields, 'type' | 'valueProperty'>,
  ctx: z.RefinementCtx,
): void {
  if (metric.valueProperty !== undefined && !VALUE_METRIC_TYPES.includes(metric.type)) {
    ctx.addIssue({
      code: 'custom',
      path: ['valueProperty'],
      message: `a ${metric.type} metric counts events and reads no value: valueProperty is only for ${VALUE_METRIC_TYPES.join(', ')}`,
    });
  }
}

export const metricInputSchema = metricFieldsSchema
  .superRefine(checkMetricConsistency)
  .meta({ id: 'MetricInput' });
export type MetricInput = z.infer<typeof metricInputSchema>;

/** A metric as stored and returned. */
export const metricSchema = metricFieldsSchema.extend(versionedFields).meta({ id: 'Metric' });
export type Metric = MetricInput & Versioned;

/** PUT replaces every field but the key, PATCH only those sent; cross-field rules run on the result. */
export const metricRequests = versionedRequests('Metric', {
  input: metricInputSchema,
  resource: metricSchema,
  editable: metricFieldsSchema.omit({ key: true }),
  filters: {
    type: z.enum(METRIC_TYPES).optional(),
    tag: tagFilter,
    q: textFilter.describe('Case-insensitive search in key, name, description and event name'),
  },
});
export type ListMetricsQuery = z.output<typeof metricRequests.list>;
