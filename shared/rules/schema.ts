import * as z from 'zod';
import { splitPath } from './attributes';
import { BUCKET_COUNT } from './bucketing';
import { parseCidr } from './cidr';
import { parseIsoInstant } from './dates';
import { regexProblem } from './regex-safety';
import { parseSemver } from './semver';
import {
  CIDR_OPERATORS,
  DATE_OPERATORS,
  EQUALITY_OPERATORS,
  EXISTENCE_OPERATORS,
  NUMBER_OPERATORS,
  OPERATORS,
  REGEX_OPERATORS,
  SEGMENT_OPERATORS,
  SEMVER_OPERATORS,
  STRING_OPERATORS,
  type Condition,
} from './types';

/**
 * Write-side schemas of the condition language (SPEC §2.2) and of what rules serve (§2.1, §2.3). Objects are
 * strict and every issue carries the path of the offending field (`rules.0.conditions.all.1.values.0`).
 */

export const MAX_CLAUSE_VALUES = 1000;
export const MAX_CONDITION_DEPTH = 10;
export const MAX_CONDITION_NODES = 500;
export const MAX_CONDITION_CHILDREN = 100;

/** Immutable resource key (SPEC §2): flags, segments, experiments… */
export const resourceKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 of a-z 0-9 . _ - starting with a letter or digit');

/** Keys of variations and ids of rules: like resource keys, upper case allowed. */
export const itemKeySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 of A-Z a-z 0-9 . _ - starting with a letter or digit',
  );

export const tagsSchema = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9._:/-]{0,63}$/, 'must be 1–64 of a-z 0-9 . _ : / -'))
  .max(20)
  .refine((tags) => new Set(tags).size === tags.length, 'must not repeat a tag');

export const attributePathSchema = z
  .string()
  .max(256)
  .refine(
    (path) => splitPath(path) !== null,
    'must be attribute names separated by dots, without empty names or __proto__',
  )
  .describe('Context attribute; dots reach into nested objects (`device.os`)');

const scalarSchema = z.union([z.string().max(1024), z.number(), z.boolean()], {
  error: 'must be a string, a number or a boolean',
});

function valueList<T extends z.ZodType>(item: T, min = 1) {
  return z.array(item).min(min).max(MAX_CLAUSE_VALUES);
}

const clauseBase = {
  attribute: attributePathSchema,
};
const caseInsensitive = z.boolean().optional().describe('Compare strings ignoring case');

const equalityClause = z.strictObject({
  ...clauseBase,
  op: z.enum(EQUALITY_OPERATORS),
  values: valueList(scalarSchema),
  caseInsensitive,
});

const stringClause = z.strictObject({
  ...clauseBase,
  op: z.enum(STRING_OPERATORS),
  values: valueList(z.string().min(1).max(1024)),
  caseInsensitive,
});

const regexClause = z.strictObject({
  ...clauseBase,
  op: z.enum(REGEX_OPERATORS),
  values: valueList(
    z.string().superRefine((pattern, ctx) => {
      const problem = regexProblem(pattern);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: `pattern ${problem}` });
    }),
  ).max(20),
  caseInsensitive,
});

const numberClause = z.strictObject({
  ...clauseBase,
  op: z.enum(NUMBER_OPERATORS),
  values: valueList(z.number({ error: 'must be a number' })),
});

const semverClause = z.strictObject({
  ...clauseBase,
  op: z.enum(SEMVER_OPERATORS),
  values: valueList(
    z
      .string()
      .refine((v) => parseSemver(v) !== null, 'must be a semantic version such as 1.4.0 or 2.0.0-beta.1'),
  ),
});

const instantSchema = z.union(
  [
    z.string().refine((v) => !Number.isNaN(parseIsoInstant(v)), 'must be an ISO-8601 date or date-time'),
    z.number().int(),
  ],
  { error: 'must be an ISO-8601 date or date-time, or epoch milliseconds' },
);

const dateClause = z.strictObject({
  ...clauseBase,
  op: z.enum(DATE_OPERATORS),
  values: valueList(instantSchema),
});

const existenceClause = z.strictObject({
  ...clauseBase,
  op: z.enum(EXISTENCE_OPERATORS),
  values: z.array(z.never()).max(0, 'exists and not_exists take no values').default([]),
});

const segmentClause = z.strictObject({
  attribute: attributePathSchema
    .optional()
    .describe('Attribute holding the unit id matched against included/excluded; default the targeting key'),
  op: z.enum(SEGMENT_OPERATORS),
  values: valueList(resourceKeySchema).max(50),
});

const cidrClause = z.strictObject({
  ...clauseBase,
  op: z.enum(CIDR_OPERATORS),
  values: valueList(
    z.string().refine((v) => parseCidr(v) !== null, 'must be an IPv4 or IPv6 address or CIDR range'),
  ).max(200),
});

export const clauseSchema = z.discriminatedUnion(
  'op',
  [
    equalityClause,
    stringClause,
    regexClause,
    numberClause,
    semverClause,
    dateClause,
    existenceClause,
    segmentClause,
    cidrClause,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `op must be one of ${OPERATORS.join(', ')}` : undefined,
  },
);
export type ClauseInput = z.infer<typeof clauseSchema>;

const NODE_KEYS = ['all', 'any', 'not', 'op'] as const;

/**
 * One node of the condition tree, told apart by its key. `z.union` would answer "Invalid input" for the whole
 * node; choosing the branch first lets every issue keep its exact path.
 */
const conditionNodeSchema: z.ZodType<Condition, unknown> = z.unknown().transform((input, ctx): Condition => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    ctx.addIssue({ code: 'custom', message: 'must be a condition object' });
    return z.NEVER;
  }
  const present = NODE_KEYS.filter((key) => key in input);
  if (present.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        present.length === 0
          ? 'must be {all: [...]}, {any: [...]}, {not: {...}} or a clause {attribute, op, values}'
          : `must have only one of ${present.join(', ')}`,
    });
    return z.NEVER;
  }
  const parsed = conditionBranches[present[0]!].safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path });
  return z.NEVER;
});

const children = z.array(conditionNodeSchema).min(1).max(MAX_CONDITION_CHILDREN);
const conditionBranches: Record<(typeof NODE_KEYS)[number], z.ZodType<Condition>> = {
  all: z.strictObject({ all: children }),
  any: z.strictObject({ any: children }),
  not: z.strictObject({ not: conditionNodeSchema }),
  op: clauseSchema,
};

/** Depth and size of a condition tree, measured before parsing so deep input cannot exhaust the stack. */
function treeShape(input: unknown): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: { node: unknown; level: number }[] = [{ node: input, level: 1 }];
  while (stack.length > 0 && nodes <= MAX_CONDITION_NODES && depth <= MAX_CONDITION_DEPTH) {
    const { node, level } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    nodes++;
    depth = Math.max(depth, level);
    const record = node as Record<string, unknown>;
    for (const key of ['all', 'any'] as const) {
      const list = record[key];
      if (Array.isArray(list)) for (const child of list) stack.push({ node: child, level: level + 1 });
    }
    if ('not' in record) stack.push({ node: record.not, level: level + 1 });
  }
  return { depth, nodes };
}

function withoutDialect({ $schema: _schema, ...rest }: Record<string, unknown>): Record<string, unknown> {
  return rest;
}

/** JSON Schema of the tree for the OpenAPI document (zod cannot see through the dispatching transform). */
const CONDITION_JSON_SCHEMA = {
  description:
    'A condition tree: {all: [...]}, {any: [...]}, {not: {...}} or a clause {attribute, op, values, caseInsensitive?}',
  anyOf: [
    ...(['all', 'any'] as const).map((key) => ({
      type: 'object',
      properties: {
        [key]: {
          type: 'array',
          items: { $ref: '#/$defs/Condition' },
          minItems: 1,
          maxItems: MAX_CONDITION_CHILDREN,
        },
      },
      required: [key],
      additionalProperties: false,
    })),
    {
      type: 'object',
      properties: { not: { $ref: '#/$defs/Condition' } },
      required: ['not'],
      additionalProperties: false,
    },
    withoutDialect(z.toJSONSchema(clauseSchema, { io: 'input' })),
  ],
};

export const conditionSchema = z
  .unknown()
  .superRefine((input, ctx) => {
    const { depth, nodes } = treeShape(input);
    if (depth > MAX_CONDITION_DEPTH) {
      ctx.addIssue({ code: 'custom', message: `must nest at most ${MAX_CONDITION_DEPTH} levels` });
    } else if (nodes > MAX_CONDITION_NODES) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_CONDITION_NODES} nodes` });
    }
  })
  .pipe(conditionNodeSchema)
  .meta({ id: 'Condition', ...CONDITION_JSON_SCHEMA });

/** Clauses using segment operators, with their paths (segment conditions may not use them). */
export function segmentClausePaths(
  condition: Condition,
  path: (string | number)[] = [],
): (string | number)[][] {
  if ('all' in condition) return condition.all.flatMap((c, i) => segmentClausePaths(c, [...path, 'all', i]));
  if ('any' in condition) return condition.any.flatMap((c, i) => segmentClausePaths(c, [...path, 'any', i]));
  if ('not' in condition) return segmentClausePaths(condition.not, [...path, 'not']);
  return condition.op === 'in_segment' || condition.op === 'not_in_segment' ? [[...path, 'op']] : [];
}

export const allocationSchema = z.strictObject({
  variation: itemKeySchema,
  weight: z.number().int().min(0).max(BUCKET_COUNT).describe('Basis points (1/100 of a percent)'),
});

export const serveVariationSchema = z.strictObject({ variation: itemKeySchema });

export const splitSchema = z
  .strictObject({
    allocations: z.array(allocationSchema).min(1).max(20),
    bucketBy: attributePathSchema
      .optional()
      .describe('Attribute holding the unit id; default targetingKey, falling back to userId'),
  })
  .superRefine((split, ctx) => {
    const total = split.allocations.reduce((sum, a) => sum + a.weight, 0);
    if (total !== BUCKET_COUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['allocations'],
        message: `weights must sum to ${BUCKET_COUNT} basis points, not ${total}`,
      });
    }
    const seen = new Set<string>();
    split.allocations.forEach((a, i) => {
      if (seen.has(a.variation)) {
        ctx.addIssue({
          code: 'custom',
          path: ['allocations', i, 'variation'],
          message: 'appears twice in the split',
        });
      }
      seen.add(a.variation);
    });
  });

const SERVE_JSON_SCHEMA = {
  description: 'A variation {variation} or a percentage split {allocations, bucketBy?}',
  anyOf: [
    withoutDialect(z.toJSONSchema(serveVariationSchema, { io: 'input' })),
    withoutDialect(z.toJSONSchema(splitSchema, { io: 'input' })),
  ],
};

export type ServeInput = z.infer<typeof serveVariationSchema> | z.infer<typeof splitSchema>;

/** What a rule or the fallthrough serves: `{variation}` or a split, told apart by key like conditions. */
export const serveSchema: z.ZodType<ServeInput, unknown> = z
  .unknown()
  .transform((input, ctx): ServeInput => {
    const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
    const branch =
      isObject && 'allocations' in input
        ? splitSchema
        : isObject && 'variation' in input
          ? serveVariationSchema
          : null;
    if (branch === null) {
      ctx.addIssue({ code: 'custom', message: 'must be {variation} or a split {allocations, bucketBy?}' });
      return z.NEVER;
    }
    const parsed = branch.safeParse(input);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path });
    return z.NEVER;
  })
  .meta({ id: 'Serve', ...SERVE_JSON_SCHEMA });

export type ConditionInput = z.infer<typeof conditionSchema>;
