import { attributeGetter, defaultUnit, toUnitId, type Context, type UnitGetter } from './attributes';
import { BUCKET_COUNT, bucketOfHash, hashFromState, saltState } from './bucketing';
import { RuleCompileError, compileCondition, type ConditionEnvironment } from './operators';
import { frozenJsonCopy } from './types';
import type { Assignment, AssignmentReason, JsonValue, RulesetExperiment, RulesetLayer } from './types';

/**
 * Experiment assignment (SPEC §2.3–2.4), compiled once per ruleset revision like flags:
 *
 * 1. the unit: the `unitAttribute` of the context (`userId`, the default, also accepts `targetingKey`, and
 *    `targetingKey` accepts `userId`, as for flags), or the caller's explicit unit id; none (or an empty one) →
 *    UNIT_MISSING, never a random variant;
 * 2. eligibility: the experiment's conditions → NOT_ELIGIBLE;
 * 3. the layer: `bucket(layer salt, unit)` must fall in the experiment's `layerRange` → OUTSIDE_LAYER
 *    (experiments of one layer take disjoint ranges, so no unit is in two of them);
 * 4. traffic and variant from one bucket `b = bucket(experiment salt, unit)`: variant i owns
 *    `[start_i, start_i + floor(weight_i × traffic / 10000))`, where `start_i` is the sum of the weights
 *    before it. A bucket in no range is OUTSIDE_TRAFFIC. Ranges only grow with the traffic, so raising it
 *    keeps every assigned unit in its variant, and each variant's share of the units in the experiment stays
 *    its weight (GrowthBook's coverage ranges).
 */
export interface CompiledExperiment {
  readonly key: string;
  readonly flagKey: string | undefined;
  /** Variant keys, in order. */
  readonly variants: readonly string[];
  /** The context attribute (a dotted path) the experiment buckets by; `userId` by default. */
  readonly unitAttribute: string;
  /** The unit the experiment buckets by, from a context. */
  readonly unitOf: UnitGetter;
  assign(context: Context, unitId?: string): Assignment;
}

const UNIT_ATTRIBUTE_DEFAULT = 'userId';

function unitGetterFor(unitAttribute: string): UnitGetter {
  if (unitAttribute === UNIT_ATTRIBUTE_DEFAULT) {
    return (context) => toUnitId(context.userId) ?? defaultUnit(context);
  }
  // As for flags: targetingKey accepts userId when absent.
  if (unitAttribute === 'targetingKey') return defaultUnit;
  const get = attributeGetter(unitAttribute);
  return (context) => toUnitId(get(context));
}

/** Each variant's [start, end) of the experiment bucket at this traffic allocation. */
export function variantRanges(weights: readonly number[], trafficAllocation: number): [number, number][] {
  let start = 0;
  return weights.map((weight) => {
    const range: [number, number] = [start, start + Math.floor((weight * trafficAllocation) / BUCKET_COUNT)];
    start += weight;
    return range;
  });
}

/** Array.isArray without narrowing the typed value to any[]. */
const isList = (value: unknown): boolean => Array.isArray(value);

function isBasisPoint(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= BUCKET_COUNT;
}

function outcome(
  experimentKey: string,
  reason: AssignmentReason,
  variant: string | null = null,
  payload: JsonValue = null,
): Assignment {
  return Object.freeze({ experimentKey, variant, payload, inExperiment: reason === 'ASSIGNED', reason });
}

/** The answer for an experiment that is not running (or unknown). */
export function notRunning(experimentKey: string): Assignment {
  return outcome(experimentKey, 'NOT_RUNNING');
}

export function compileExperiment(
  experiment: RulesetExperiment,
  layers: ReadonlyMap<string, RulesetLayer>,
  env: ConditionEnvironment,
): CompiledExperiment {
  const key = experiment.key;
  const { variants, trafficAllocation } = experiment;
  // Revisions come from storage: check the shape even though the type promises it.
  if (!isList(variants) || variants.length < 2) {
    throw new RuleCompileError('needs 2 or more variants');
  }
  if (!isBasisPoint(trafficAllocation)) throw new RuleCompileError('trafficAllocation must be 0..10000');
  const weights = variants.map((v) => v.weight);
  if (!weights.every(isBasisPoint) || weights.reduce((a, b) => a + b, 0) !== BUCKET_COUNT) {
    throw new RuleCompileError(`variant weights must be integers summing to ${BUCKET_COUNT}`);
  }
  const ranges = variantRanges(weights, trafficAllocation);
  const assigned = variants.map((v) =>
    outcome(key, 'ASSIGNED', v.key, v.payload === undefined ? null : frozenJsonCopy(v.payload)),
  );
  const unitMissing = outcome(key, 'UNIT_MISSING');
  const notEligible = outcome(key, 'NOT_ELIGIBLE');
  const outsideLayer = outcome(key, 'OUTSIDE_LAYER');
  const outsideTraffic = outcome(key, 'OUTSIDE_TRAFFIC');

  const eligible = experiment.conditions === undefined ? null : compileCondition(experiment.conditions, env);
  let inLayer: ((unit: string) => boolean) | null = null;
  if (experiment.layer !== undefined) {
    const layer = layers.get(experiment.layer);
    const range = experiment.layerRange;
    if (layer === undefined) throw new RuleCompileError(`unknown layer ${experiment.layer}`);
    if (range === undefined || !isBasisPoint(range[0]) || !isBasisPoint(range[1]) || range[0] >= range[1]) {
      throw new RuleCompileError('a layer needs a layerRange [start, end) within 0..10000');
    }
    const layerState = saltState(layer.salt ?? layer.key);
    const [start, end] = range;
    inLayer = (unit) => {
      const bucket = bucketOfHash(hashFromState(layerState, unit));
      return bucket >= start && bucket < end;
    };
  }
  const state = saltState(experiment.salt ?? key);
  const unitAttribute = experiment.unitAttribute ?? UNIT_ATTRIBUTE_DEFAULT;
  const unitOf = unitGetterFor(unitAttribute);
  const count = ranges.length;

  return Object.freeze({
    key,
    flagKey: experiment.flagKey,
    variants: Object.freeze(variants.map((v) => v.key)),
    unitAttribute,
    unitOf,
    assign(context: Context, unitId?: string): Assignment {
      // An explicit unit id follows the same rule as one from the context: '' is no unit.
      const unit = unitId === undefined ? unitOf(context) : toUnitId(unitId);
      if (unit === undefined) return unitMissing;
      if (eligible !== null && !eligible(context)) return notEligible;
      if (inLayer !== null && !inLayer(unit)) return outsideLayer;
      const bucket = bucketOfHash(hashFromState(state, unit));
      for (let i = 0; i < count; i++) {
        const [start, end] = ranges[i]!;
        if (bucket < start) break;
        if (bucket < end) return assigned[i]!;
      }
      return outsideTraffic;
    },
  });
}
