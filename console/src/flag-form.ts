import type { Flag } from '../../shared/flags/requests';
import type { FlagInput, RuleInput, VariationInput } from '../../shared/flags/schema';
import type { ServeInput } from '../../shared/rules/schema';
import { NUMBER_OPERATORS, type FlagKind } from '../../shared/rules/types';

/**
 * The flag editor's state (text as typed) and its conversion to and from the API's shapes, whose types come
 * from the shared zod schemas. The API validates; this only turns text into values of the flag's kind.
 */
export interface ServeState {
  readonly mode: 'variation' | 'split';
  readonly variation: string;
  /** Percent of units per variation key, as typed ("30", "33.33"). */
  readonly percents: Readonly<Record<string, string>>;
}

export interface RuleState {
  readonly id: string;
  readonly attribute: string;
  readonly op: string;
  /** Comma-separated. */
  readonly values: string;
  /** Conditions the form cannot show as one clause (all/any/not trees): kept as they are. */
  readonly advanced: unknown;
  readonly serve: ServeState;
}

export interface FlagState {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly tags: string;
  readonly kind: FlagKind;
  readonly variations: readonly { readonly key: string; readonly value: string }[];
  readonly enabled: boolean;
  readonly clientSide: boolean;
  readonly temporary: boolean;
  readonly offVariation: string;
  readonly fallthrough: ServeState;
  readonly rules: readonly RuleState[];
}

export const newServe = (variation: string): ServeState => ({ mode: 'variation', variation, percents: {} });

export function newFlagState(): FlagState {
  return {
    key: '',
    name: '',
    description: '',
    tags: '',
    kind: 'boolean',
    variations: [
      { key: 'off', value: 'false' },
      { key: 'on', value: 'true' },
    ],
    enabled: false,
    clientSide: false,
    temporary: true,
    offVariation: 'off',
    fallthrough: newServe('off'),
    rules: [],
  };
}

export function newRule(index: number, variation: string): RuleState {
  return {
    id: `rule-${index + 1}`,
    attribute: '',
    op: 'eq',
    values: '',
    advanced: null,
    serve: newServe(variation),
  };
}

const valueText = (value: unknown, kind: FlagKind) =>
  kind === 'string' && typeof value === 'string' ? value : JSON.stringify(value);

function serveState(serve: ServeInput): ServeState {
  if ('variation' in serve) return newServe(serve.variation);
  return {
    mode: 'split',
    variation: serve.allocations[0]?.variation ?? '',
    percents: Object.fromEntries(serve.allocations.map((a) => [a.variation, String(a.weight / 100)])),
  };
}

interface SimpleClause {
  readonly attribute: string;
  readonly op: string;
  readonly values?: readonly unknown[];
}

/** One clause with only the fields the form shows (no caseInsensitive, no all/any/not tree). */
function simpleClause(conditions: unknown): SimpleClause | null {
  if (typeof conditions !== 'object' || conditions === null) return null;
  const keys = Object.keys(conditions);
  const simple =
    'attribute' in conditions &&
    'op' in conditions &&
    keys.every((k) => ['attribute', 'op', 'values'].includes(k));
  return simple ? (conditions as SimpleClause) : null;
}

export function flagState(flag: Flag): FlagState {
  return {
    key: flag.key,
    name: flag.name,
    description: flag.description,
    tags: flag.tags.join(', '),
    kind: flag.kind,
    variations: flag.variations.map((v) => ({ key: v.key, value: valueText(v.value, flag.kind) })),
    enabled: flag.enabled,
    clientSide: flag.clientSide,
    temporary: flag.temporary,
    offVariation: flag.offVariation,
    fallthrough: serveState(flag.fallthrough),
    rules: flag.rules.map((rule) => {
      const clause = simpleClause(rule.conditions);
      return {
        id: rule.id,
        attribute: clause?.attribute ?? '',
        op: clause?.op ?? 'eq',
        values: (clause?.values ?? []).map(String).join(', '),
        advanced: clause === null ? rule.conditions : null,
        serve: serveState(rule.serve),
      };
    }),
  };
}

export class FormError extends Error {
  override readonly name = 'FormError';
}

function parseValue(text: string, kind: FlagKind, key: string): VariationInput['value'] {
  if (kind === 'string') return text;
  try {
    const value = JSON.parse(text) as VariationInput['value'];
    if (kind === 'boolean' && typeof value !== 'boolean') throw new Error();
    if (kind === 'number' && typeof value !== 'number') throw new Error();
    return value;
  } catch {
    throw new FormError(`Variation ${key}: the value must be ${kind === 'json' ? 'JSON' : `a ${kind}`}`);
  }
}

/** A split's percentages as basis points (1/100 of a percent), which must add up to 10 000. */
export function serveInput(serve: ServeState, variations: readonly string[], where: string): ServeInput {
  if (serve.mode === 'variation') return { variation: serve.variation };
  const allocations = variations
    .map((variation) => ({ variation, percent: Number(serve.percents[variation] ?? '0') }))
    .filter((a) => a.percent !== 0);
  if (allocations.some((a) => !Number.isFinite(a.percent) || a.percent < 0 || a.percent > 100))
    throw new FormError(`${where}: each share must be a percentage between 0 and 100`);
  const weights = allocations.map((a) => ({ variation: a.variation, weight: Math.round(a.percent * 100) }));
  const total = weights.reduce((sum, a) => sum + a.weight, 0);
  if (total !== 10_000) throw new FormError(`${where}: the shares add up to ${total / 100} %, not 100 %`);
  return { allocations: weights };
}

/** A clause's values: numbers for the number operators, text for the others. */
function clauseValues(op: string, text: string): (string | number)[] {
  const items = text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return (NUMBER_OPERATORS as readonly string[]).includes(op) ? items.map(Number) : items;
}

export function flagInput(state: FlagState, kept: Partial<Flag> = {}): FlagInput {
  const variationKeys = state.variations.map((v) => v.key);
  const rules = state.rules.map((rule, i): RuleInput => ({
    id: rule.id,
    conditions: (rule.advanced ??
      (['exists', 'not_exists'].includes(rule.op)
        ? { attribute: rule.attribute, op: rule.op }
        : {
            attribute: rule.attribute,
            op: rule.op,
            values: clauseValues(rule.op, rule.values),
          })) as RuleInput['conditions'],
    serve: serveInput(rule.serve, variationKeys, `Rule ${i + 1}`),
  }));
  return {
    key: state.key,
    name: state.name,
    description: state.description,
    tags: state.tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    kind: state.kind,
    variations: state.variations.map((v) => ({ key: v.key, value: parseValue(v.value, state.kind, v.key) })),
    enabled: state.enabled,
    clientSide: state.clientSide,
    temporary: state.temporary,
    offVariation: state.offVariation,
    fallthrough: serveInput(state.fallthrough, variationKeys, 'Default rule'),
    rules,
    prerequisites: kept.prerequisites ?? [],
    ...(kept.salt === undefined ? {} : { salt: kept.salt }),
  };
}
