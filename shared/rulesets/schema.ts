import * as z from 'zod';
import { prerequisiteSchema, ruleSchema, variationSchema } from '../flags/schema';
import {
  attributePathSchema,
  conditionSchema,
  itemKeySchema,
  resourceKeySchema,
  serveSchema,
} from '../rules/schema';
import { FLAG_KINDS, type Ruleset } from '../rules/types';

/**
 * The compiled ruleset as SDKs download it (`GET /api/v1/sdk/ruleset`): the wire form of `Ruleset`
 * (shared/rules/types.ts), built by `buildRulesetContent` (shared/rulesets/document.ts). It documents the
 * body; the publisher builds it from already validated configuration and does not parse it again.
 */
const rulesetFlagSchema = z.strictObject({
  key: resourceKeySchema,
  kind: z.enum(FLAG_KINDS),
  variations: z.array(variationSchema),
  enabled: z.boolean(),
  offVariation: itemKeySchema,
  fallthrough: serveSchema,
  rules: z.array(ruleSchema),
  prerequisites: z.array(prerequisiteSchema).optional(),
  clientSide: z.boolean().optional(),
  salt: z.string().optional().describe('Bucketing salt; the flag key when absent'),
});

const rulesetSegmentSchema = z.strictObject({
  key: resourceKeySchema,
  conditions: conditionSchema.optional(),
  included: z.array(z.string()).optional(),
  excluded: z.array(z.string()).optional(),
});

const rulesetExperimentSchema = z.strictObject({
  key: resourceKeySchema,
  variants: z.array(
    z.strictObject({
      key: itemKeySchema,
      weight: z.number().int().min(0).max(10_000).describe('Basis points; the weights sum to 10 000'),
      isControl: z.boolean(),
      payload: z.json().optional(),
    }),
  ),
  trafficAllocation: z.number().int().min(0).max(10_000),
  unitAttribute: attributePathSchema,
  conditions: conditionSchema.optional(),
  layer: resourceKeySchema.optional(),
  layerRange: z.tuple([z.number().int(), z.number().int()]).optional(),
  salt: z.string().optional().describe('Bucketing salt; the experiment key when absent'),
  flagKey: resourceKeySchema.optional(),
});

export const rulesetSchema = z
  .strictObject({
    revision: z.number().int().min(0).describe('Also the ETag'),
    hashVersion: z.literal(1),
    flags: z.array(rulesetFlagSchema),
    segments: z.array(rulesetSegmentSchema),
    experiments: z.array(rulesetExperimentSchema).optional().describe('Running (ACTIVE) experiments only'),
    layers: z
      .array(z.strictObject({ key: resourceKeySchema, salt: z.string().optional() }))
      .optional()
      .describe('The layers the running experiments use'),
  })
  .meta({ id: 'Ruleset', description: 'A published ruleset revision, evaluated locally by server SDKs' });

// The schema describes the type the publisher writes: a field added to one and not the other fails here.
type Described = z.output<typeof rulesetSchema>;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesType: Mutual<keyof Described, keyof Ruleset> = true;
void _schemaMatchesType;
