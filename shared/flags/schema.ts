import * as z from 'zod';
import { boundedJsonSchema, describeBytes, MAX_JSON_VALUE_BYTES } from '../config/limits';
import {
  conditionSchema,
  itemKeySchema,
  resourceKeySchema,
  serveSchema,
  tagsSchema,
  type ServeInput,
} from '../rules/schema';
import { FLAG_KINDS, valueMatchesKind } from '../rules/types';

/**
 * A feature flag as a client sends it on create (SPEC §2.1). `flagFieldsSchema` is the plain object (for
 * update schemas built with omit/extend); `flagInputSchema` adds the cross-field checks of
 * `checkFlagConsistency`. Server-managed fields (owner, version, timestamps) are not part of the input.
 */

export const variationSchema = z.strictObject({
  key: itemKeySchema,
  value: boundedJsonSchema('a variation’s value').describe(
    `Of the flag’s kind: boolean, string, number or any JSON value (at most ${describeBytes(MAX_JSON_VALUE_BYTES)} as compact JSON)`,
  ),
  name: z.string().min(1).max(200).optional(),
});

export const ruleSchema = z.strictObject({
  id: itemKeySchema.describe('Unique within the flag; reported as ruleId in evaluation results'),
  description: z.string().max(1000).optional(),
  conditions: conditionSchema,
  serve: serveSchema,
});

export const prerequisiteSchema = z.strictObject({
  flagKey: resourceKeySchema,
  variation: itemKeySchema,
});

export const flagFieldsSchema = z.strictObject({
  key: resourceKeySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  tags: tagsSchema.default([]),
  kind: z.enum(FLAG_KINDS),
  variations: z.array(variationSchema).min(2).max(20),
  enabled: z.boolean().default(false),
  offVariation: itemKeySchema.describe('Variation served when the flag is off or a prerequisite fails'),
  fallthrough: serveSchema.describe('Served when the flag is on and no rule matches'),
  rules: z.array(ruleSchema).max(100).default([]),
  clientSide: z.boolean().default(false).describe('Visible to client API keys'),
  prerequisites: z.array(prerequisiteSchema).max(10).default([]),
  temporary: z.boolean().default(true).describe('Temporary flags are reported when stale'),
  salt: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('Bucketing salt; default the flag key, so that renaming nothing reshuffles units'),
});

type FlagFields = z.infer<typeof flagFieldsSchema>;

/**
 * Cross-field rules of a flag, each reported on the field at fault: values of the flag's kind, unique
 * variation keys (and values, for scalar kinds), every variation reference known, unique rule ids, no
 * prerequisite on itself or twice on the same flag. Prerequisite cycles across flags need the other flags:
 * the service checks them with `findPrerequisiteCycle`.
 */
export function checkFlagConsistency(
  flag: Pick<
    FlagFields,
    'kind' | 'variations' | 'offVariation' | 'fallthrough' | 'rules' | 'prerequisites'
  > & {
    key?: string;
  },
  ctx: z.RefinementCtx,
): void {
  const keys = new Set<string>();
  const values = new Set<unknown>();
  flag.variations.forEach((variation, i) => {
    if (!valueMatchesKind(flag.kind, variation.value)) {
      ctx.addIssue({ code: 'custom', path: ['variations', i, 'value'], message: `must be a ${flag.kind}` });
    } else if (flag.kind !== 'json') {
      if (values.has(variation.value)) {
        ctx.addIssue({
          code: 'custom',
          path: ['variations', i, 'value'],
          message: 'repeats another variation’s value',
        });
      }
      values.add(variation.value);
    }
    if (keys.has(variation.key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['variations', i, 'key'],
        message: 'repeats another variation’s key',
      });
    }
    keys.add(variation.key);
  });

  const known = (variation: string, path: (string | number)[]) => {
    if (!keys.has(variation)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `is not a variation of this flag (${[...keys].join(', ')})`,
      });
    }
  };
  const checkServe = (serve: ServeInput, path: (string | number)[]) => {
    if ('variation' in serve) known(serve.variation, [...path, 'variation']);
    else serve.allocations.forEach((a, i) => known(a.variation, [...path, 'allocations', i, 'variation']));
  };
  known(flag.offVariation, ['offVariation']);
  checkServe(flag.fallthrough, ['fallthrough']);

  const ruleIds = new Set<string>();
  flag.rules.forEach((rule, i) => {
    if (ruleIds.has(rule.id)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: 'repeats another rule’s id' });
    }
    ruleIds.add(rule.id);
    checkServe(rule.serve, ['rules', i, 'serve']);
  });

  const prerequisiteKeys = new Set<string>();
  flag.prerequisites.forEach((prerequisite, i) => {
    if (prerequisite.flagKey === flag.key) {
      ctx.addIssue({
        code: 'custom',
        path: ['prerequisites', i, 'flagKey'],
        message: 'a flag cannot require itself',
      });
    } else if (prerequisiteKeys.has(prerequisite.flagKey)) {
      ctx.addIssue({ code: 'custom', path: ['prerequisites', i, 'flagKey'], message: 'appears twice' });
    }
    prerequisiteKeys.add(prerequisite.flagKey);
  });
}

export const flagInputSchema = flagFieldsSchema.superRefine(checkFlagConsistency).meta({ id: 'FlagInput' });

export type FlagInput = z.infer<typeof flagInputSchema>;
export type VariationInput = z.infer<typeof variationSchema>;
export type RuleInput = z.infer<typeof ruleSchema>;
export type PrerequisiteInput = z.infer<typeof prerequisiteSchema>;
