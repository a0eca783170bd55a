"""`compile_ruleset`: a published ruleset revision turned into closures, once per revision — a port of
shared/rules/compile.ts, with the same results for every input (test/vectors/ are the contract).

Evaluation order of a flag (SPEC §2.1): off → offVariation (DISABLED); a prerequisite not served the named
variation → offVariation (PREREQUISITE_FAILED); a running experiment backing the flag that assigns the unit →
its variant's variation (SPLIT, experiment_key); the first rule whose conditions match serves its variation
(TARGETING_MATCH) or split (SPLIT); else the fallthrough (DEFAULT, or SPLIT). A split without a unit is an
ERROR (TARGETING_KEY_MISSING). `evaluate` never raises.
"""

import copy
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence

from ._js import MISSING, is_finite_number, is_integer_number, is_list, is_number, is_record, js_string
from .attributes import Context, split_path, unit_getter
from .bucketing import BUCKET_COUNT, HASH_VERSION, bucket_of_hash, cumulative_bounds, hash_from_state, salt_state
from .experiments import CompiledExperiment, compile_experiment, not_running
from .operators import ConditionEnvironment, RuleCompileError, SegmentMembership, compile_condition
from .prerequisites import MAX_PREREQUISITE_DEPTH, find_prerequisite_cycle, prerequisite_depths
from .types import Assignment, EvaluationResult

FlagEvaluator = Callable[[Context, int], EvaluationResult]
ServeEvaluator = Callable[[Context], EvaluationResult]

_EMPTY_CONTEXT: Context = {}


class RulesetError(Exception):
    """compile.ts `RulesetError`: the ruleset as a whole cannot be used (keep serving the previous one)."""


class FlagInfo(NamedTuple):
    key: str
    kind: Any
    client_side: bool


class _CompiledFlag:
    __slots__ = ("info", "evaluate")

    def __init__(self, info: FlagInfo, evaluate: FlagEvaluator) -> None:
        self.info = info
        self.evaluate = evaluate


def _always(result: EvaluationResult) -> FlagEvaluator:
    """A flag whose every evaluation has one answer (off, a cycle, a flag that does not compile)."""
    return lambda context, depth: result


def _error_result(flag_key: str, error_code: str, message: str, rule_id: Any = None) -> EvaluationResult:
    return EvaluationResult(flag_key, None, None, "ERROR", rule_id=rule_id, error_code=error_code, error_message=message)


def _value_matches_kind(kind: Any, value: Any) -> bool:
    """types.ts `valueMatchesKind`; `value` is MISSING when the variation has none."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return is_finite_number(value)
    if kind == "json":
        return value is not MISSING
    return False


def _has_key(value: Any) -> bool:
    return is_record(value) and isinstance(value.get("key"), str)


def _is_prerequisite(value: Any) -> bool:
    return is_record(value) and isinstance(value.get("flagKey"), str)


def _set_items(value: Any) -> set:
    """`new Set(value ?? [])` for a segment's included/excluded list: only strings can equal a unit id."""
    if value is None:
        return set()
    if isinstance(value, str):
        return set(value)  # JavaScript iterates a string's characters
    if not is_list(value):
        raise RuleCompileError("included/excluded must be lists")
    return {item for item in value if isinstance(item, str)}


def _compile_segments(segments: Sequence[Mapping[str, Any]]) -> Callable[[str], Optional[SegmentMembership]]:
    """compile.ts `compileSegments`: membership = not excluded, and included or matching the conditions."""
    compiled: Dict[str, Any] = {}

    def no_nesting(key: str) -> Optional[SegmentMembership]:
        raise RuleCompileError("segment conditions cannot use in_segment/not_in_segment")

    env = ConditionEnvironment(no_nesting)
    for segment in segments:
        try:
            included = _set_items(segment.get("included"))
            excluded = _set_items(segment.get("excluded"))
            raw = segment.get("conditions", MISSING)
            conditions = None if raw is MISSING else compile_condition(raw, env)

            def membership(
                context: Context, unit: Optional[str], included=included, excluded=excluded, conditions=conditions
            ) -> bool:
                if unit is not None:
                    if unit in excluded:
                        return False
                    if unit in included:
                        return True
                return conditions is not None and conditions(context)

            compiled[segment["key"]] = membership  # as Map.set: a later duplicate replaces an earlier one
        except Exception as error:  # noqa: BLE001 — TypeScript catches everything here too
            compiled[segment["key"]] = RuleCompileError(f"segment {segment['key']}: {error}")

    def lookup(key: str) -> Optional[SegmentMembership]:
        membership = compiled.get(key)
        if isinstance(membership, RuleCompileError):
            raise membership
        return membership

    return lookup


def _is_variation_serve(serve: Any) -> bool:
    if not is_record(serve):
        raise RuleCompileError("serve must be an object")
    return "variation" in serve


class _FlagCompilation(NamedTuple):
    flag: Mapping[str, Any]
    env: ConditionEnvironment
    lookup: Callable[[Any], Optional[_CompiledFlag]]
    experiment: Optional[CompiledExperiment]


def _compile_flag(c: _FlagCompilation) -> FlagEvaluator:
    """compile.ts `compileFlag`; raises RuleCompileError (or anything) for a flag that cannot compile."""
    flag, env = c.flag, c.env
    key: str = flag["key"]
    variations: Dict[Any, Any] = {}
    raw_variations: Any = flag.get("variations")
    if not is_list(raw_variations):
        raise RuleCompileError("variations must be a list")
    for variation in raw_variations:
        if not is_record(variation):
            raise RuleCompileError("a variation is an object")
        variation_key = variation.get("key")
        if variation_key in variations:
            raise RuleCompileError(f"duplicate variation {variation_key}")
        value = variation.get("value", MISSING)
        if not _value_matches_kind(flag.get("kind"), value):
            raise RuleCompileError(f"variation {variation_key} is not a {flag.get('kind')}")
        variations[variation_key] = copy.deepcopy(value)

    def value_of(variation: Any) -> Any:
        try:
            return variations[variation]
        except (KeyError, TypeError):
            raise RuleCompileError(f"unknown variation {variation}") from None

    salt = js_string(flag["salt"]) if flag.get("salt") is not None else key

    def compile_serve(serve: Mapping[str, Any], reason: str, rule_id: Any = None) -> ServeEvaluator:
        if _is_variation_serve(serve):
            result = EvaluationResult(key, value_of(serve["variation"]), serve["variation"], reason, rule_id=rule_id)
            return lambda context: result
        allocations: Any = serve.get("allocations")
        if not is_list(allocations) or not all(is_record(a) for a in allocations):
            raise RuleCompileError("allocations must be a list of objects")
        weights = [a.get("weight") for a in allocations]
        if any(not is_integer_number(w) or w < 0 for w in weights) or sum(weights) != BUCKET_COUNT:
            raise RuleCompileError(f"split weights must be non-negative integers summing to {BUCKET_COUNT}")
        bucket_by = serve.get("bucketBy", MISSING)
        if bucket_by is not MISSING and (not isinstance(bucket_by, str) or split_path(bucket_by) is None):
            raise RuleCompileError(f"invalid bucketBy {bucket_by!r}")
        results = [
            EvaluationResult(key, value_of(a.get("variation")), a.get("variation"), "SPLIT", rule_id=rule_id)
            for a in allocations
        ]
        bounds = cumulative_bounds([int(w) for w in weights])
        state = salt_state(salt)
        unit_of = unit_getter(None if bucket_by is MISSING else bucket_by)
        missing_unit = _error_result(
            key,
            "TARGETING_KEY_MISSING",
            "a split needs targetingKey (or userId) in the context"
            if bucket_by is MISSING
            else f"a split needs {bucket_by} in the context",
            rule_id,
        )
        last = len(results) - 1

        def split(context: Context) -> EvaluationResult:
            unit = unit_of(context)
            if unit is None:
                return missing_unit
            bucket = bucket_of_hash(hash_from_state(state, unit))
            for i in range(last):
                if bucket < bounds[i]:
                    return results[i]
            return results[last]

        return split

    off_variation = flag.get("offVariation")
    off = EvaluationResult(key, value_of(off_variation), off_variation, "DISABLED")
    if flag.get("enabled") is not True:
        return lambda context, depth: off

    prerequisite_failed = EvaluationResult(key, off.value, off_variation, "PREREQUISITE_FAILED")
    too_deep = _error_result(key, "GENERAL", f"prerequisites nested deeper than {MAX_PREREQUISITE_DEPTH}")
    raw_prerequisites: Any = flag.get("prerequisites")
    if raw_prerequisites is None:
        raw_prerequisites = []
    if not is_list(raw_prerequisites) or any(p is None for p in raw_prerequisites):
        raise RuleCompileError("prerequisites must be a list of objects")
    # As `p.flagKey` in TypeScript: a prerequisite that is not an object names no flag, and fails.
    prerequisites = [
        (p.get("flagKey"), p.get("variation", MISSING)) if is_record(p) else (None, MISSING)
        for p in raw_prerequisites
    ]

    rule_ids: set = set()
    matchers: List[Callable[[Context], bool]] = []
    serves: List[ServeEvaluator] = []
    raw_rules: Any = flag.get("rules")
    if not is_list(raw_rules):
        raise RuleCompileError("rules must be a list")
    for rule in raw_rules:
        if not is_record(rule):
            raise RuleCompileError("a rule is an object")
        rule_id = rule.get("id")
        if rule_id in rule_ids:
            raise RuleCompileError(f"duplicate rule id {rule_id}")
        rule_ids.add(rule_id)
        matchers.append(compile_condition(rule.get("conditions"), env))
        serve = rule.get("serve")
        serves.append(compile_serve(serve, "TARGETING_MATCH" if _is_variation_serve(serve) else "SPLIT", rule_id))
    fallthrough_serve: Any = flag.get("fallthrough")
    fallthrough = compile_serve(fallthrough_serve, "DEFAULT" if _is_variation_serve(fallthrough_serve) else "SPLIT")
    rules = list(zip(matchers, serves))

    def rules_and_fallthrough(context: Context) -> EvaluationResult:
        for matches, serve_rule in rules:
            if matches(context):
                return serve_rule(context)
        return fallthrough(context)

    targeting = (
        rules_and_fallthrough
        if c.experiment is None
        else _with_experiment(key, c.experiment, value_of, rules_and_fallthrough)
    )
    if not prerequisites:
        return lambda context, depth: targeting(context)

    # Resolved on first use: prerequisite flags are compiled in the same pass, possibly after this one. The list
    # is built whole, then published by one assignment, so a concurrent evaluation never sees part of it.
    resolved: Optional[List[Optional[_CompiledFlag]]] = None

    def with_prerequisites(context: Context, depth: int) -> EvaluationResult:
        nonlocal resolved
        if depth >= MAX_PREREQUISITE_DEPTH:
            return too_deep
        targets = resolved
        if targets is None:
            targets = resolved = [c.lookup(flag_key) for flag_key, _ in prerequisites]
        for target, (_, variation) in zip(targets, prerequisites):
            if target is None:
                return prerequisite_failed
            if target.evaluate(context, depth + 1).variation != variation:
                return prerequisite_failed
        return targeting(context)

    return with_prerequisites


def _with_experiment(
    flag_key: str,
    experiment: CompiledExperiment,
    value_of: Callable[[Any], Any],
    otherwise: ServeEvaluator,
) -> ServeEvaluator:
    """compile.ts `withExperiment`: a unit the experiment assigns gets its variant's variation (SPLIT)."""
    try:
        served = {
            variant: EvaluationResult(flag_key, value_of(variant), variant, "SPLIT", experiment_key=experiment.key)
            for variant in experiment.variants
        }
    except RuleCompileError:
        # A variant that is not a variation (refused on write): the flag ignores the experiment.
        return otherwise

    def evaluate(context: Context) -> EvaluationResult:
        assignment = experiment.assign(context)
        if not assignment.in_experiment or assignment.variant is None:
            return otherwise(context)
        result = served.get(assignment.variant)
        return result if result is not None else otherwise(context)

    return evaluate


class CompiledRuleset:
    """compile.ts `CompiledRuleset`: evaluate flags and assign experiments for one revision; never raises."""

    def __init__(
        self,
        revision: Any,
        flags: Dict[str, _CompiledFlag],
        experiments: Dict[str, CompiledExperiment],
    ) -> None:
        self.revision = revision
        self.hash_version = HASH_VERSION
        self._flags = flags
        #: Flags in ruleset order.
        self.flags: List[FlagInfo] = [f.info for f in flags.values()]
        self._experiments = experiments
        #: Keys of the running experiments, in ruleset order.
        self.experiments: List[str] = list(experiments.keys())

    def flag(self, flag_key: str) -> Optional[FlagInfo]:
        compiled = self._flags.get(flag_key) if isinstance(flag_key, str) else None
        return None if compiled is None else compiled.info

    def experiment(self, experiment_key: str) -> Optional[CompiledExperiment]:
        return self._experiments.get(experiment_key) if isinstance(experiment_key, str) else None

    def evaluate(
        self, flag_key: str, context: Any, kind: Optional[str] = None, client_side_only: bool = False
    ) -> EvaluationResult:
        """compile.ts `evaluate`: `kind` is the caller's expected kind (TYPE_MISMATCH otherwise)."""
        flag = self._flags.get(flag_key) if isinstance(flag_key, str) else None
        if flag is None or (client_side_only and not flag.info.client_side):
            return _error_result(flag_key if isinstance(flag_key, str) else "", "FLAG_NOT_FOUND", "no such flag")
        if kind is not None and kind != flag.info.kind:
            return _error_result(flag_key, "TYPE_MISMATCH", f"flag is {flag.info.kind}, not {kind}")
        try:
            return flag.evaluate(context if is_record(context) else _EMPTY_CONTEXT, 0)
        except Exception as error:  # noqa: BLE001 — only contexts built in process get here (a raising Mapping)
            return _error_result(flag_key, "GENERAL", f"evaluation failed: {error}")

    def evaluate_all(
        self,
        context: Any,
        flag_keys: Optional[Sequence[str]] = None,
        kind: Optional[str] = None,
        client_side_only: bool = False,
    ) -> List[EvaluationResult]:
        """Every flag (in ruleset order) or the named ones (in the order given), for one context."""
        if flag_keys is not None:
            return [self.evaluate(k, context, kind, client_side_only) for k in flag_keys]
        visible = [i for i in self.flags if i.client_side] if client_side_only else self.flags
        return [self.evaluate(i.key, context, kind, client_side_only) for i in visible]

    def assign(
        self, context: Any, experiment_keys: Optional[Sequence[str]] = None, unit_id: Optional[str] = None
    ) -> List[Assignment]:
        """Every running experiment (ruleset order) or the named ones (order given; unknown → NOT_RUNNING)."""
        ctx = context if is_record(context) else _EMPTY_CONTEXT
        keys = self.experiments if experiment_keys is None else experiment_keys
        out = []
        for key in keys:
            experiment = self._experiments.get(key) if isinstance(key, str) else None
            out.append(not_running(key) if experiment is None else experiment.assign(ctx, unit_id))
        return out


def compile_ruleset(ruleset: Any) -> CompiledRuleset:
    """compile.ts `compileRuleset`: raises RulesetError only for an unusable envelope."""
    # Rulesets come from storage or the network: check the envelope.
    if not is_record(ruleset) or not is_list(ruleset.get("flags")):
        raise RulesetError("not a ruleset")
    hash_version = ruleset.get("hashVersion")
    if not (is_number(hash_version) and hash_version == HASH_VERSION):
        raise RulesetError(f"unsupported hashVersion {hash_version!r} (this engine: {HASH_VERSION})")
    # Entries without a key cannot be asked for: skip them rather than fail the whole revision.
    flags = [f for f in ruleset["flags"] if _has_key(f)]
    segments = [s for s in ruleset.get("segments") or [] if _has_key(s)] if is_list(ruleset.get("segments")) else []
    segment = _compile_segments(segments)
    env = ConditionEnvironment(segment)
    raw_experiments = ruleset.get("experiments") if is_list(ruleset.get("experiments")) else []
    raw_layers = ruleset.get("layers") if is_list(ruleset.get("layers")) else []
    layer_by_key = {layer["key"]: layer for layer in raw_layers if _has_key(layer)}
    by_key: Dict[str, CompiledExperiment] = {}
    by_flag: Dict[str, CompiledExperiment] = {}
    for experiment in raw_experiments:
        if not _has_key(experiment) or experiment["key"] in by_key:
            continue
        try:
            compiled_experiment = compile_experiment(experiment, layer_by_key, env)
        except Exception:  # noqa: BLE001 — refused on write; a broken experiment is not running
            continue
        by_key[experiment["key"]] = compiled_experiment
        flag_key = compiled_experiment.flag_key
        if isinstance(flag_key, str) and flag_key not in by_flag:
            by_flag[flag_key] = compiled_experiment

    compiled: Dict[str, _CompiledFlag] = {}

    def lookup(key: Any) -> Optional[_CompiledFlag]:
        return compiled.get(key) if isinstance(key, str) else None

    # A disabled flag serves its off variation without looking at prerequisites: only enabled flags' edges count.
    edges = [
        {
            "key": f["key"],
            "prerequisites": [p for p in f["prerequisites"] if _is_prerequisite(p)]
            if f.get("enabled") is True and is_list(f.get("prerequisites"))
            else [],
        }
        for f in flags
    ]
    depths = prerequisite_depths(edges)
    cycle = find_prerequisite_cycle(edges)

    for flag in flags:
        key = flag["key"]
        if key in compiled:
            continue  # a duplicate key: the first definition wins
        info = FlagInfo(key, flag.get("kind"), flag.get("clientSide") is True)
        depth = depths.get(key, 0)
        if depth == float("inf"):
            message = "prerequisite cycle" + ("" if cycle is None else ": " + " → ".join(cycle))
            result = _error_result(key, "GENERAL", message)
            compiled[key] = _CompiledFlag(info, _always(result))
            continue
        if depth > MAX_PREREQUISITE_DEPTH:
            result = _error_result(key, "GENERAL", f"prerequisites nested deeper than {MAX_PREREQUISITE_DEPTH}")
            compiled[key] = _CompiledFlag(info, _always(result))
            continue
        entry = _CompiledFlag(info, _always(_error_result(key, "GENERAL", "not compiled")))
        compiled[key] = entry
        try:
            entry.evaluate = _compile_flag(_FlagCompilation(flag, env, lookup, by_flag.get(key)))
        except Exception as error:  # noqa: BLE001 — any failure is this flag's PARSE_ERROR, never the ruleset's
            result = _error_result(key, "PARSE_ERROR", f"flag {key}: {error}")
            entry.evaluate = _always(result)
    return CompiledRuleset(ruleset.get("revision"), compiled, by_key)
