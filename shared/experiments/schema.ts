import * as z from 'zod';
import { boundedJsonSchema, describeBytes, MAX_JSON_VALUE_BYTES } from '../config/limits';
import {
  attributePathSchema,
  conditionSchema,
  itemKeySchema,
  resourceKeySchema,
  tagsSchema,
} from '../rules/schema';
import { analysisSettingsSchema } from './analysis';

/** Basis points: 1/100 of a percent; 10 000 is everyone. */
export const BASIS_POINTS = 10_000;
export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 10;

const basisPoints = z.number().int().min(0).max(BASIS_POINTS);

export const variantSchema = z.strictObject({
  key: itemKeySchema,
  name: z.string().trim().min(1).max(200),
  weight: basisPoints.describe('Basis points of the units in the experiment; the weights sum to 10000'),
  isControl: z.boolean().default(false),
  payload: boundedJsonSchema('a variant’s payload')
    .optional()
    .describe(
      `Any JSON value the variant hands to the caller (at most ${describeBytes(MAX_JSON_VALUE_BYTES)} as compact JSON)`,
    ),
});
export type Variant = z.infer<typeof variantSchema>;

const metricKeySchema = resourceKeySchema.describe('Key of a metric');

/** Every field a client may set on create (SPEC §2.4); `startAt`/`endAt` change later through `/schedule`. */
export const experimentFieldsSchema = z.strictObject({
  key: resourceKeySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  tags: tagsSchema.default([]),
  variants: z.array(variantSchema).min(MIN_VARIANTS).max(MAX_VARIANTS),
  trafficAllocation: basisPoints
    .default(BASIS_POINTS)
    .describe('Basis points of the eligible units that enter the experiment (default 10000)'),
  unitAttribute: attributePathSchema.default('userId').describe('Context attribute holding the unit id'),
  conditions: conditionSchema.optional().describe('Eligibility'),
  layer: resourceKeySchema.optional().describe('Layer key; experiments of one layer take disjoint ranges'),
  layerRange: z
    .tuple([basisPoints, basisPoints])
    .optional()
    .describe('[start, end) in basis points of the layer’s own bucket'),
  primaryMetric: metricKeySchema.optional(),
  secondaryMetrics: z.array(metricKeySchema).max(20).default([]),
  guardrailMetrics: z.array(metricKeySchema).max(20).default([]),
  startAt: z.iso.datetime().optional(),
  endAt: z.iso.datetime().optional(),
  flagKey: resourceKeySchema.optional().describe('A flag whose variations this experiment serves'),
  salt: z.string().min(1).max(128).optional().describe('Bucketing salt; default the experiment key'),
  analysis: analysisSettingsSchema
    // A default (not a prefault) so that PATCH bodies drop it (patchBodyOf): the parsed defaults themselves.
    .default(() => analysisSettingsSchema.parse({}))
    .describe('How results are judged: locked once the experiment starts (docs/statistics.md)'),
});

type ExperimentFields = z.infer<typeof experimentFieldsSchema>;

/** Cross-field rules, each reported on the field at fault. */
export function checkExperimentConsistency(
  experiment: Pick<ExperimentFields, 'variants' | 'layer' | 'layerRange' | 'startAt' | 'endAt'>,
  ctx: z.RefinementCtx,
): void {
  const { variants } = experiment;
  const keys = new Set<string>();
  variants.forEach((v, i) => {
    if (keys.has(v.key))
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'key'], message: 'repeats a variant key' });
    keys.add(v.key);
  });
  const controls = variants.flatMap((v, i) => (v.isControl ? [i] : []));
  if (controls.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['variants'],
      message: 'needs exactly one control variant (isControl: true)',
    });
  }
  for (const i of controls.slice(1)) {
    ctx.addIssue({
      code: 'custom',
      path: ['variants', i, 'isControl'],
      message: 'only one variant may be the control',
    });
  }
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (total !== BASIS_POINTS) {
    ctx.addIssue({
      code: 'custom',
      path: ['variants'],
      message: `weights must sum to ${BASIS_POINTS} (they sum to ${total})`,
    });
  }
  if (experiment.layer !== undefined && experiment.layerRange === undefined) {
    ctx.addIssue({ code: 'custom', path: ['layerRange'], message: 'is required with a layer' });
  }
  if (experiment.layer === undefined && experiment.layerRange !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['layer'], message: 'is required with a layerRange' });
  }
  if (experiment.layerRange !== undefined && experiment.layerRange[0] >= experiment.layerRange[1]) {
    ctx.addIssue({ code: 'custom', path: ['layerRange'], message: 'start must be below end ([start, end))' });
  }
  if (
    experiment.startAt !== undefined &&
    experiment.endAt !== undefined &&
    Date.parse(experiment.endAt) <= Date.parse(experiment.startAt)
  ) {
    ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'must be after startAt' });
  }
}

export const experimentInputSchema = experimentFieldsSchema
  .superRefine(checkExperimentConsistency)
  .meta({ id: 'ExperimentInput' });
export type ExperimentInput = z.infer<typeof experimentInputSchema>;

export type MetricRole = 'primary' | 'secondary' | 'guardrail';

/** One metric an experiment measures, with its role and the field that names it (`secondaryMetrics.1`). */
export interface MeasuredMetric {
  readonly key: string;
  readonly role: MetricRole;
  readonly path: string;
}

/** The metrics an experiment measures: primary, then secondary, then guardrail, as listed. */
export function metricsOf(
  experiment: Pick<ExperimentFields, 'primaryMetric'> &
    Partial<Pick<ExperimentFields, 'secondaryMetrics' | 'guardrailMetrics'>>,
): MeasuredMetric[] {
  return [
    ...(experiment.primaryMetric === undefined
      ? []
      : [{ key: experiment.primaryMetric, role: 'primary' as const, path: 'primaryMetric' }]),
    ...(experiment.secondaryMetrics ?? []).map((key, i) => ({
      key,
      role: 'secondary' as const,
      path: `secondaryMetrics.${i}`,
    })),
    ...(experiment.guardrailMetrics ?? []).map((key, i) => ({
      key,
      role: 'guardrail' as const,
      path: `guardrailMetrics.${i}`,
    })),
  ];
}
