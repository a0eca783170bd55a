import type { Context } from './attributes';
import { splitPath, unitGetter } from './attributes';
import {
  BUCKET_COUNT,
  HASH_VERSION,
  bucketOfHash,
  cumulativeBounds,
  hashFromState,
  saltState,
} from './bucketing';
import {
  RuleCompileError,
  compileCondition,
  type ConditionEnvironment,
  type Predicate,
  type SegmentMembership,
} from './operators';
import { compileExperiment, notRunning, type CompiledExperiment } from './experiments';
import { MAX_PREREQUISITE_DEPTH, findPrerequisiteCycle, type PrerequisiteNode } from './prerequisites';
import type {
  Assignment,
  EvaluationErrorCode,
  EvaluationReason,
  EvaluationResult,
  FlagKind,
  FlagValue,
  Ruleset,
  RulesetExperiment,
  RulesetFlag,
  RulesetLayer,
  RulesetSegment,
  Serve,
} from './types';
import { frozenJsonCopy, valueMatchesKind } from './types';

/**
 * `compileRuleset` turns a published ruleset revision into closures, once per revision; `evaluate` then does
 * no parsing, no allocation on the common paths (results are precomputed, frozen objects) and never throws.
 *
 * Evaluation order of a flag (SPEC §2.1): off → offVariation (DISABLED); a prerequisite not served the named
 * variation → offVariation (PREREQUISITE_FAILED); the first rule whose conditions match serves its variation
 * (TARGETING_MATCH) or split (SPLIT); else the fallthrough (DEFAULT, or SPLIT). A split without a unit is an
 * ERROR (TARGETING_KEY_MISSING) and the caller's default applies.
 */
export interface EvaluateOptions {
  /** The type the caller asked for (OpenFeature's typed resolvers); another kind gives TYPE_MISMATCH. */
  readonly kind?: FlagKind;
  /** Client API keys see only `clientSide` flags: others are FLAG_NOT_FOUND. */
  readonly clientSideOnly?: boolean;
}

export interface FlagInfo {
  readonly key: string;
  readonly kind: FlagKind;
  readonly clientSide: boolean;
}

export interface CompiledRuleset {
  readonly revision: number;
  readonly hashVersion: typeof HASH_VERSION;
  /** Flags in ruleset order. */
  readonly flags: readonly FlagInfo[];
  flag(flagKey: string): FlagInfo | undefined;
  evaluate(flagKey: string, context: unknown, options?: EvaluateOptions): EvaluationResult;
  /** Every flag (in ruleset order) or the named ones (in the order given), for one context. */
  evaluateAll(context: unknown, flagKeys?: readonly string[], options?: EvaluateOptions): EvaluationResult[];
  /** Keys of the running experiments, in ruleset order. */
  readonly experiments: readonly string[];
  experiment(experimentKey: string): CompiledExperiment | undefined;
  /**
   * Every running experiment (in ruleset order) or the named ones (in the order given; unknown or not running
   * → NOT_RUNNING) for one context. `unitId`, when given, is the unit of every experiment.
   */
  assign(context: unknown, experimentKeys?: readonly string[], unitId?: string): Assignment[];
}

/** The ruleset as a whole cannot be used (wrong hash version, not a ruleset): keep serving the previous one. */
export class RulesetError extends Error {
  override readonly name = 'RulesetError';
}

type FlagEvaluator = (context: Context, depth: number) => EvaluationResult;
type ServeEvaluator = (context: Context) => EvaluationResult;

interface CompiledFlag extends FlagInfo {
  evaluate: FlagEvaluator;
}

interface ResultExtras {
  readonly ruleId?: string;
  readonly experimentKey?: string;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
}

const EMPTY_CONTEXT: Context = Object.freeze({});

function isContext(value: unknown): value is Context {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function makeResult(
  flagKey: string,
  value: FlagValue,
  variation: string | null,
  reason: EvaluationReason,
  extras: ResultExtras = {},
): EvaluationResult {
  return Object.freeze({ flagKey, value, variation, reason, ...extras });
}

function errorResult(
  flagKey: string,
  errorCode: EvaluationErrorCode,
  errorMessage: string,
  ruleId?: string,
): EvaluationResult {
  return makeResult(flagKey, null, null, 'ERROR', {
    ...(ruleId === undefined ? {} : { ruleId }),
    errorCode,
    errorMessage,
  });
}

function compileSegments(segments: readonly RulesetSegment[]): ConditionEnvironment['segment'] {
  const compiled = new Map<string, SegmentMembership | RuleCompileError>();
  // Segment conditions may not refer to segments (refused on write), so they compile without any.
  const env: ConditionEnvironment = {
    segment: () => {
      throw new RuleCompileError('segment conditions cannot use in_segment/not_in_segment');
    },
    getters: new Map(),
  };
  for (const segment of segments) {
    try {
      const included = new Set(segment.included ?? []);
      const excluded = new Set(segment.excluded ?? []);
      const conditions: Predicate | null =
        segment.conditions === undefined ? null : compileCondition(segment.conditions, env);
      compiled.set(segment.key, (context, unit) => {
        if (unit !== undefined) {
          if (excluded.has(unit)) return false;
          if (included.has(unit)) return true;
        }
        return conditions !== null && conditions(context);
      });
    } catch (error) {
      compiled.set(segment.key, new RuleCompileError(`segment ${segment.key}: ${(error as Error).message}`));
    }
  }
  return (key) => {
    const membership = compiled.get(key);
    if (membership instanceof RuleCompileError) throw membership;
    return membership;
  };
}

function hasKey<T extends { readonly key: string }>(value: T): boolean {
  return typeof value === 'object' && value !== null && typeof value.key === 'string';
}

function isPrerequisite(value: unknown): value is { flagKey: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { flagKey?: unknown }).flagKey === 'string'
  );
}

/** Longest prerequisite chain below each flag; Infinity when a cycle is reachable. */
function prerequisiteDepths(flags: readonly PrerequisiteNode[]): Map<string, number> {
  const byKey = new Map(flags.map((f) => [f.key, f]));
  const depth = new Map<string, number>();
  const inProgress = new Set<string>();
  for (const root of flags) {
    if (depth.has(root.key)) continue;
    const stack: { key: string; next: number; deepest: number }[] = [{ key: root.key, next: 0, deepest: 0 }];
    inProgress.add(root.key);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const prerequisites = byKey.get(frame.key)?.prerequisites ?? [];
      if (frame.next < prerequisites.length) {
        const child = prerequisites[frame.next++]!.flagKey;
        if (!byKey.has(child)) continue;
        if (inProgress.has(child)) {
          frame.deepest = Infinity;
        } else if (depth.has(child)) {
          frame.deepest = Math.max(frame.deepest, depth.get(child)! + 1);
        } else {
          inProgress.add(child);
          stack.push({ key: child, next: 0, deepest: 0 });
        }
      } else {
        stack.pop();
        inProgress.delete(frame.key);
        depth.set(frame.key, frame.deepest);
        const parent = stack[stack.length - 1];
        if (parent !== undefined) parent.deepest = Math.max(parent.deepest, frame.deepest + 1);
      }
    }
  }
  return depth;
}

interface FlagCompilation {
  readonly flag: RulesetFlag;
  readonly env: ConditionEnvironment;
  readonly lookup: (key: string) => CompiledFlag | undefined;
  /** A running experiment serving this flag's variations, if any. */
  readonly experiment: CompiledExperiment | undefined;
}

function compileFlag({ flag, env, lookup, experiment }: FlagCompilation): FlagEvaluator {
  const key = flag.key;
  const variations = new Map<string, FlagValue>();
  for (const variation of flag.variations) {
    if (variations.has(variation.key)) throw new RuleCompileError(`duplicate variation ${variation.key}`);
    if (!valueMatchesKind(flag.kind, variation.value)) {
      throw new RuleCompileError(`variation ${variation.key} is not a ${flag.kind}`);
    }
    variations.set(variation.key, frozenJsonCopy(variation.value));
  }
  const valueOf = (variation: string): FlagValue => {
    const value = variations.get(variation);
    if (value === undefined) throw new RuleCompileError(`unknown variation ${variation}`);
    return value;
  };
  const salt = flag.salt ?? key;

  const compileServe = (serve: Serve, reason: EvaluationReason, ruleId?: string): ServeEvaluator => {
    const extras = ruleId === undefined ? {} : { ruleId };
    if ('variation' in serve) {
      const result = makeResult(key, valueOf(serve.variation), serve.variation, reason, extras);
      return () => result;
    }
    const weights = serve.allocations.map((a) => a.weight);
    if (
      weights.some((w) => !Number.isInteger(w) || w < 0) ||
      weights.reduce((a, b) => a + b, 0) !== BUCKET_COUNT
    ) {
      throw new RuleCompileError(`split weights must be non-negative integers summing to ${BUCKET_COUNT}`);
    }
    if (serve.bucketBy !== undefined && splitPath(serve.bucketBy) === null) {
      throw new RuleCompileError(`invalid bucketBy ${serve.bucketBy}`);
    }
    const results = serve.allocations.map((a) =>
      makeResult(key, valueOf(a.variation), a.variation, 'SPLIT', extras),
    );
    const bounds = cumulativeBounds(weights);
    const state = saltState(salt);
    const unitOf = unitGetter(serve.bucketBy);
    const missingUnit = errorResult(
      key,
      'TARGETING_KEY_MISSING',
      serve.bucketBy === undefined
        ? 'a split needs targetingKey (or userId) in the context'
        : `a split needs ${serve.bucketBy} in the context`,
      ruleId,
    );
    const last = results.length - 1;
    return (context) => {
      const unit = unitOf(context);
      if (unit === undefined) return missingUnit;
      const bucket = bucketOfHash(hashFromState(state, unit));
      for (let i = 0; i < last; i++) if (bucket < bounds[i]!) return results[i]!;
      return results[last]!;
    };
  };

  const off = makeResult(key, valueOf(flag.offVariation), flag.offVariation, 'DISABLED');
  if (flag.enabled !== true) return () => off;

  const prerequisiteFailed = makeResult(key, off.value, flag.offVariation, 'PREREQUISITE_FAILED');
  const tooDeep = errorResult(key, 'GENERAL', `prerequisites nested deeper than ${MAX_PREREQUISITE_DEPTH}`);
  const prerequisites = (flag.prerequisites ?? []).map((p) => ({
    flagKey: p.flagKey,
    variation: p.variation,
  }));
  const ruleIds = new Set<string>();
  const rules = flag.rules.map((rule) => {
    if (ruleIds.has(rule.id)) throw new RuleCompileError(`duplicate rule id ${rule.id}`);
    ruleIds.add(rule.id);
    return {
      matches: compileCondition(rule.conditions, env),
      serve: compileServe(rule.serve, 'variation' in rule.serve ? 'TARGETING_MATCH' : 'SPLIT', rule.id),
    };
  });
  const matchers = rules.map((r) => r.matches);
  const serves = rules.map((r) => r.serve);
  const fallthrough = compileServe(flag.fallthrough, 'variation' in flag.fallthrough ? 'DEFAULT' : 'SPLIT');
  const ruleCount = rules.length;

  const rulesAndFallthrough = (context: Context): EvaluationResult => {
    for (let i = 0; i < ruleCount; i++) if (matchers[i]!(context)) return serves[i]!(context);
    return fallthrough(context);
  };
  const targeting =
    experiment === undefined
      ? rulesAndFallthrough
      : withExperiment(key, experiment, valueOf, rulesAndFallthrough);
  if (prerequisites.length === 0) return targeting;

  // Resolved on first use: prerequisite flags are compiled in the same pass, possibly after this one.
  let targets: (CompiledFlag | undefined)[] | null = null;
  return (context, depth) => {
    if (depth >= MAX_PREREQUISITE_DEPTH) return tooDeep;
    targets ??= prerequisites.map((p) => lookup(p.flagKey));
    for (let i = 0; i < prerequisites.length; i++) {
      const target = targets[i];
      if (target === undefined) return prerequisiteFailed;
      if (target.evaluate(context, depth + 1).variation !== prerequisites[i]!.variation)
        return prerequisiteFailed;
    }
    return targeting(context);
  };
}

/**
 * A flag backed by a running experiment (SPEC §2.4 `flagKey`): once the flag is on and its prerequisites
 * pass, a unit the experiment assigns gets its variant's variation (reason SPLIT, `experimentKey` set: the
 * caller logs an exposure); every other unit goes through the flag's rules and fallthrough as usual.
 */
function withExperiment(
  flagKey: string,
  experiment: CompiledExperiment,
  valueOf: (variation: string) => FlagValue,
  otherwise: (context: Context) => EvaluationResult,
): (context: Context) => EvaluationResult {
  const served = new Map<string, EvaluationResult>();
  try {
    for (const variant of experiment.variants) {
      served.set(
        variant,
        makeResult(flagKey, valueOf(variant), variant, 'SPLIT', { experimentKey: experiment.key }),
      );
    }
  } catch {
    // A variant that is not a variation (refused on write): the flag ignores the experiment.
    return otherwise;
  }
  return (context) => {
    const assignment = experiment.assign(context);
    if (!assignment.inExperiment || assignment.variant === null) return otherwise(context);
    return served.get(assignment.variant) ?? otherwise(context);
  };
}

/** Running experiments by key, and by the flag each one serves (the first by key when several claim one). */
function compileExperiments(
  experiments: readonly RulesetExperiment[],
  layers: readonly RulesetLayer[],
  env: ConditionEnvironment,
): { byKey: Map<string, CompiledExperiment>; byFlag: Map<string, CompiledExperiment> } {
  const layerByKey = new Map(layers.map((l) => [l.key, l]));
  const byKey = new Map<string, CompiledExperiment>();
  const byFlag = new Map<string, CompiledExperiment>();
  for (const experiment of experiments) {
    if (byKey.has(experiment.key)) continue;
    try {
      const compiled = compileExperiment(experiment, layerByKey, env);
      byKey.set(experiment.key, compiled);
      if (compiled.flagKey !== undefined && !byFlag.has(compiled.flagKey))
        byFlag.set(compiled.flagKey, compiled);
    } catch {
      // Refused on write; a revision that still carries a broken experiment treats it as not running.
    }
  }
  return { byKey, byFlag };
}

export function compileRuleset(ruleset: Ruleset): CompiledRuleset {
  // Rulesets come from storage or the network: check the envelope even though the type promises it.
  const envelope = ruleset as unknown as Record<string, unknown> | null;
  if (typeof envelope !== 'object' || envelope === null || !Array.isArray(envelope.flags)) {
    throw new RulesetError('not a ruleset');
  }
  if (envelope.hashVersion !== HASH_VERSION) {
    throw new RulesetError(
      `unsupported hashVersion ${String(envelope.hashVersion)} (this engine: ${HASH_VERSION})`,
    );
  }
  // Entries without a key cannot be asked for: skip them rather than fail the whole revision.
  const flags = ruleset.flags.filter(hasKey);
  const segments = (Array.isArray(envelope.segments) ? ruleset.segments : []).filter(hasKey);
  const segment = compileSegments(segments);
  const env: ConditionEnvironment = { segment, getters: new Map() };
  const experiments = compileExperiments(
    (Array.isArray(envelope.experiments) ? (ruleset.experiments ?? []) : []).filter(hasKey),
    (Array.isArray(envelope.layers) ? (ruleset.layers ?? []) : []).filter(hasKey),
    env,
  );
  const compiled = new Map<string, CompiledFlag>();
  const lookup = (key: string) => compiled.get(key);
  // A disabled flag serves its off variation without looking at prerequisites: only enabled flags' edges count.
  const edges: PrerequisiteNode[] = flags.map((f) => ({
    key: f.key,
    prerequisites:
      f.enabled === true && Array.isArray(f.prerequisites) ? f.prerequisites.filter(isPrerequisite) : [],
  }));
  const depths = prerequisiteDepths(edges);
  const cycle = findPrerequisiteCycle(edges);

  for (const flag of flags) {
    const key = flag.key;
    const info: CompiledFlag = {
      key,
      kind: flag.kind,
      clientSide: flag.clientSide === true,
      evaluate: () => errorResult(key, 'GENERAL', 'not compiled'),
    };
    if (compiled.has(key)) continue; // a duplicate key: the first definition wins
    compiled.set(key, info);
    const depth = depths.get(key) ?? 0;
    if (depth === Infinity) {
      const result = errorResult(
        key,
        'GENERAL',
        `prerequisite cycle${cycle === null ? '' : `: ${cycle.join(' → ')}`}`,
      );
      info.evaluate = () => result;
      continue;
    }
    if (depth > MAX_PREREQUISITE_DEPTH) {
      const result = errorResult(
        key,
        'GENERAL',
        `prerequisites nested deeper than ${MAX_PREREQUISITE_DEPTH}`,
      );
      info.evaluate = () => result;
      continue;
    }
    try {
      info.evaluate = compileFlag({ flag, env, lookup, experiment: experiments.byFlag.get(key) });
    } catch (error) {
      const result = errorResult(key, 'PARSE_ERROR', `flag ${key}: ${(error as Error).message}`);
      info.evaluate = () => result;
    }
  }

  const infos: FlagInfo[] = [...compiled.values()].map(({ key, kind, clientSide }) =>
    Object.freeze({ key, kind, clientSide }),
  );
  const infoByKey = new Map(infos.map((i) => [i.key, i]));

  const evaluate = (flagKey: string, context: unknown, options?: EvaluateOptions): EvaluationResult => {
    const flag = compiled.get(flagKey);
    if (flag === undefined || (options?.clientSideOnly === true && !flag.clientSide)) {
      return errorResult(typeof flagKey === 'string' ? flagKey : '', 'FLAG_NOT_FOUND', 'no such flag');
    }
    if (options?.kind !== undefined && options.kind !== flag.kind) {
      return errorResult(flagKey, 'TYPE_MISMATCH', `flag is ${flag.kind}, not ${options.kind}`);
    }
    try {
      return flag.evaluate(isContext(context) ? context : EMPTY_CONTEXT, 0);
    } catch (error) {
      // Only reachable with contexts built in process (throwing getters, proxies): JSON never gets here.
      return errorResult(
        flagKey,
        'GENERAL',
        `evaluation failed: ${error instanceof Error ? error.message : 'unknown'}`,
      );
    }
  };

  const runningKeys = Object.freeze([...experiments.byKey.keys()]);
  const assignOne = (experimentKey: string, context: Context, unitId: string | undefined): Assignment => {
    const experiment = experiments.byKey.get(experimentKey);
    if (experiment === undefined) return notRunning(experimentKey);
    return experiment.assign(context, unitId);
  };

  return Object.freeze({
    revision: ruleset.revision,
    hashVersion: HASH_VERSION,
    flags: Object.freeze(infos),
    flag: (flagKey: string) => infoByKey.get(flagKey),
    evaluate,
    evaluateAll: (context: unknown, flagKeys?: readonly string[], options?: EvaluateOptions) => {
      if (flagKeys !== undefined) return flagKeys.map((k) => evaluate(k, context, options));
      const visible = options?.clientSideOnly === true ? infos.filter((i) => i.clientSide) : infos;
      return visible.map((i) => evaluate(i.key, context, options));
    },
    experiments: runningKeys,
    experiment: (experimentKey: string) => experiments.byKey.get(experimentKey),
    assign: (context: unknown, experimentKeys?: readonly string[], unitId?: string) => {
      const ctx = isContext(context) ? context : EMPTY_CONTEXT;
      return (experimentKeys ?? runningKeys).map((k) => assignOne(k, ctx, unitId));
    },
  });
}
