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
import {
  MAX_PREREQUISITE_DEPTH,
  prerequisiteDepths,
  prerequisiteProblem,
  type CycleReached,
  type PrerequisiteNode,
} from './prerequisites';
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

/** The flags of one revision by key: prerequisites are looked up in it when evaluated, not when compiled. */
export interface FlagTable {
  get(key: string): CompiledFlag | undefined;
}
type FlagEvaluator = (context: Context, depth: number, table: FlagTable) => EvaluationResult;
type ServeEvaluator = (context: Context) => EvaluationResult;

/**
 * One flag of a revision. `evaluate` starts as a stub that compiles the flag on first use and replaces itself
 * (the incremental engine, shared/rules/incremental.ts, compiles only the flags that are asked for);
 * `compileRuleset` compiles every flag at once.
 */
export interface CompiledFlag {
  readonly info: FlagInfo;
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

export function errorResult(
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

/** Segment conditions may not refer to segments (refused on write), so they compile without any. */
const SEGMENT_ENV: ConditionEnvironment = {
  segment: () => {
    throw new RuleCompileError('segment conditions cannot use in_segment/not_in_segment');
  },
  getters: new Map(),
};

/** A segment's membership test, or why it cannot be used. */
export function compileSegment(segment: RulesetSegment): SegmentMembership | RuleCompileError {
  try {
    const included = new Set(segment.included ?? []);
    const excluded = new Set(segment.excluded ?? []);
    const conditions: Predicate | null =
      segment.conditions === undefined ? null : compileCondition(segment.conditions, SEGMENT_ENV);
    return (context, unit) => {
      if (unit !== undefined) {
        if (excluded.has(unit)) return false;
        if (included.has(unit)) return true;
      }
      return conditions !== null && conditions(context);
    };
  } catch (error) {
    return new RuleCompileError(`segment ${segment.key}: ${(error as Error).message}`);
  }
}

/** `env.segment` over compiled memberships: a segment that failed to compile fails the clause that uses it. */
export function segmentLookup(
  membership: (key: string) => SegmentMembership | RuleCompileError | undefined,
): ConditionEnvironment['segment'] {
  return (key) => {
    const found = membership(key);
    if (found instanceof RuleCompileError) throw found;
    return found;
  };
}

function compileSegments(segments: readonly RulesetSegment[]): ConditionEnvironment['segment'] {
  const compiled = new Map<string, SegmentMembership | RuleCompileError>();
  for (const segment of segments) compiled.set(segment.key, compileSegment(segment));
  return segmentLookup((key) => compiled.get(key));
}

function hasKey<T extends { readonly key: string }>(value: T): boolean {
  return typeof value === 'object' && value !== null && typeof value.key === 'string';
}

export function isPrerequisite(value: unknown): value is { flagKey: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { flagKey?: unknown }).flagKey === 'string'
  );
}

interface FlagCompilation {
  readonly flag: RulesetFlag;
  readonly env: ConditionEnvironment;
  /** A running experiment serving this flag's variations, if any. */
  readonly experiment: CompiledExperiment | undefined;
}

function compileFlag({ flag, env, experiment }: FlagCompilation): FlagEvaluator {
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
  if (prerequisites.length === 0) return (context) => targeting(context);

  // Looked up in the table of the revision being evaluated: a prerequisite that changes in a later revision
  // needs no recompilation of the flags that depend on it.
  return (context, depth, table) => {
    if (depth >= MAX_PREREQUISITE_DEPTH) return tooDeep;
    for (let i = 0; i < prerequisites.length; i++) {
      const target = table.get(prerequisites[i]!.flagKey);
      if (target === undefined) return prerequisiteFailed;
      if (target.evaluate(context, depth + 1, table).variation !== prerequisites[i]!.variation)
        return prerequisiteFailed;
    }
    return targeting(context);
  };
}

/**
 * A flag of a revision whose compilation waits for its first evaluation. `status`, when set, is the answer
 * regardless of the definition (a prerequisite cycle, a chain too deep); a definition that does not compile
 * answers PARSE_ERROR.
 */
export function lazyFlag(
  info: FlagInfo,
  status: EvaluationResult | undefined,
  compile: () => { flag: RulesetFlag; env: ConditionEnvironment; experiment: CompiledExperiment | undefined },
): CompiledFlag {
  if (status !== undefined) return { info, evaluate: () => status };
  const holder: CompiledFlag = {
    info,
    evaluate: (context, depth, table) => {
      let evaluator: FlagEvaluator;
      try {
        evaluator = compileFlag(compile());
      } catch (error) {
        const result = errorResult(info.key, 'PARSE_ERROR', `flag ${info.key}: ${(error as Error).message}`);
        evaluator = () => result;
      }
      holder.evaluate = evaluator;
      return evaluator(context, depth, table);
    },
  };
  return holder;
}

/** Compile a lazy flag now (evaluating it with an empty context compiles it and has no other effect). */
export function forceCompile(flag: CompiledFlag, table: FlagTable): void {
  flag.evaluate(EMPTY_CONTEXT, MAX_PREREQUISITE_DEPTH, table);
}

export function flagInfo(flag: RulesetFlag): FlagInfo {
  return Object.freeze({ key: flag.key, kind: flag.kind, clientSide: flag.clientSide === true });
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
export function compileExperiments(
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

/**
 * The answer of every flag that cannot be evaluated because of its prerequisite graph: a cycle reachable from
 * it, or a chain deeper than MAX_PREREQUISITE_DEPTH (prerequisiteProblem: each flag's answer depends only on
 * what it reaches); only enabled flags' edges count, since a disabled flag never looks at them.
 */
export function prerequisiteStatuses(nodes: readonly PrerequisiteNode[]): Map<string, EvaluationResult> {
  // The first definition of a duplicated key, as the flag table keeps.
  const byKey = new Map<string, readonly { readonly flagKey: string }[]>();
  for (const node of nodes) if (!byKey.has(node.key)) byKey.set(node.key, node.prerequisites ?? []);
  const edgesOf = (key: string) => byKey.get(key);
  const depths = prerequisiteDepths(byKey.keys(), edgesOf);
  const statuses = new Map<string, EvaluationResult>();
  const reached = new Map<string, CycleReached>();
  for (const key of byKey.keys()) {
    const problem = prerequisiteProblem(key, edgesOf, (k) => depths.get(k), reached);
    if (problem !== undefined) statuses.set(key, errorResult(key, 'GENERAL', problem));
  }
  return statuses;
}

/** The edges of a flag as the prerequisite graph counts them (see prerequisiteStatuses). */
export function prerequisiteEdges(flag: RulesetFlag): readonly { flagKey: string }[] {
  return flag.enabled === true && Array.isArray(flag.prerequisites)
    ? flag.prerequisites.filter(isPrerequisite)
    : [];
}

/** A revision's compiled form over its flag table, its flags' infos (in order) and its running experiments. */
export function compiledRuleset(
  revision: number,
  table: FlagTable,
  infos: readonly FlagInfo[],
  experiments: ReadonlyMap<string, CompiledExperiment>,
): CompiledRuleset {
  const evaluate = (flagKey: string, context: unknown, options?: EvaluateOptions): EvaluationResult => {
    const flag = table.get(flagKey);
    if (flag === undefined || (options?.clientSideOnly === true && !flag.info.clientSide)) {
      return errorResult(typeof flagKey === 'string' ? flagKey : '', 'FLAG_NOT_FOUND', 'no such flag');
    }
    if (options?.kind !== undefined && options.kind !== flag.info.kind) {
      return errorResult(flagKey, 'TYPE_MISMATCH', `flag is ${flag.info.kind}, not ${options.kind}`);
    }
    try {
      return flag.evaluate(isContext(context) ? context : EMPTY_CONTEXT, 0, table);
    } catch (error) {
      // Only reachable with contexts built in process (throwing getters, proxies): JSON never gets here.
      return errorResult(
        flagKey,
        'GENERAL',
        `evaluation failed: ${error instanceof Error ? error.message : 'unknown'}`,
      );
    }
  };

  const runningKeys = Object.freeze([...experiments.keys()]);
  const assignOne = (experimentKey: string, context: Context, unitId: string | undefined): Assignment => {
    const experiment = experiments.get(experimentKey);
    if (experiment === undefined) return notRunning(experimentKey);
    return experiment.assign(context, unitId);
  };

  return Object.freeze({
    revision,
    hashVersion: HASH_VERSION,
    flags: infos,
    flag: (flagKey: string) => table.get(flagKey)?.info,
    evaluate,
    evaluateAll: (context: unknown, flagKeys?: readonly string[], options?: EvaluateOptions) => {
      if (flagKeys !== undefined) return flagKeys.map((k) => evaluate(k, context, options));
      const visible = options?.clientSideOnly === true ? infos.filter((i) => i.clientSide) : infos;
      return visible.map((i) => evaluate(i.key, context, options));
    },
    experiments: runningKeys,
    experiment: (experimentKey: string) => experiments.get(experimentKey),
    assign: (context: unknown, experimentKeys?: readonly string[], unitId?: string) => {
      const ctx = isContext(context) ? context : EMPTY_CONTEXT;
      return (experimentKeys ?? runningKeys).map((k) => assignOne(k, ctx, unitId));
    },
  });
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
  const statuses = prerequisiteStatuses(
    flags.map((f) => ({ key: f.key, prerequisites: prerequisiteEdges(f) })),
  );
  const table = new Map<string, CompiledFlag>();
  for (const flag of flags) {
    if (table.has(flag.key)) continue; // a duplicate key: the first definition wins
    const experiment = experiments.byFlag.get(flag.key);
    table.set(
      flag.key,
      lazyFlag(flagInfo(flag), statuses.get(flag.key), () => ({ flag, env, experiment })),
    );
  }
  // Compiled at once: SDKs and tests compile a whole revision they are about to use.
  for (const compiled of table.values()) forceCompile(compiled, table);
  const infos = Object.freeze([...table.values()].map((f) => f.info));
  return compiledRuleset(ruleset.revision, table, infos, experiments.byKey);
}
