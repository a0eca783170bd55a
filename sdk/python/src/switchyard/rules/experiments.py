"""Experiment assignment (SPEC §2.3–2.4): a port of shared/rules/experiments.ts.

1. the unit: the `unitAttribute` of the context (`userId`, the default, also accepts `targetingKey`, and
   `targetingKey` accepts `userId`), or the caller's explicit unit id; none → UNIT_MISSING;
2. eligibility: the experiment's conditions → NOT_ELIGIBLE;
3. the layer: `bucket(layer salt, unit)` must fall in `layerRange` [start, end) → OUTSIDE_LAYER;
4. `b = bucket(experiment salt, unit)`: variant i owns `[start_i, start_i + floor(weight_i × traffic / 10000))`,
   `start_i` the sum of the weights before it; a bucket in no range → OUTSIDE_TRAFFIC.
"""

import copy
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

from ._js import MISSING, is_integer_number, is_list, is_record, js_string
from .attributes import Context, UnitGetter, attribute_getter, default_unit, to_unit_id
from .bucketing import BUCKET_COUNT, bucket_of_hash, hash_from_state, salt_state
from .operators import ConditionEnvironment, RuleCompileError, compile_condition
from .types import Assignment

UNIT_ATTRIBUTE_DEFAULT = "userId"


def _unit_getter_for(unit_attribute: Any) -> UnitGetter:
    """experiments.ts `unitGetterFor`."""
    if unit_attribute == UNIT_ATTRIBUTE_DEFAULT:

        def user_id(context: Context) -> Optional[str]:
            unit = to_unit_id(context.get("userId"))
            return unit if unit is not None else default_unit(context)

        return user_id
    # As for flags: targetingKey accepts userId when absent.
    if unit_attribute == "targetingKey":
        return default_unit
    if not isinstance(unit_attribute, str):
        raise RuleCompileError("unitAttribute must be a string")
    get = attribute_getter(unit_attribute)
    return lambda context: to_unit_id(get(context))


def variant_ranges(weights: Sequence[int], traffic_allocation: int) -> List[Tuple[int, int]]:
    """experiments.ts `variantRanges`: each variant's [start, end) of the experiment bucket."""
    start = 0
    ranges = []
    for weight in weights:
        ranges.append((start, start + int((weight * traffic_allocation) // BUCKET_COUNT)))
        start += weight
    return ranges


def _is_basis_point(value: Any) -> bool:
    return is_integer_number(value) and 0 <= value <= BUCKET_COUNT


def _outcome(experiment_key: str, reason: str, variant: Optional[str] = None, payload: Any = None) -> Assignment:
    return Assignment(experiment_key, variant, payload, reason == "ASSIGNED", reason)


def not_running(experiment_key: str) -> Assignment:
    """experiments.ts `notRunning`: the answer for an experiment that is not running (or unknown)."""
    return _outcome(experiment_key, "NOT_RUNNING")


class CompiledExperiment:
    """experiments.ts `CompiledExperiment`."""

    def __init__(
        self,
        key: str,
        flag_key: Any,
        variants: Tuple[Any, ...],
        unit_of: UnitGetter,
        assign: Callable[[Context, Optional[str]], Assignment],
    ) -> None:
        self.key = key
        self.flag_key = flag_key
        #: Variant keys, in order.
        self.variants = variants
        #: The unit the experiment buckets by, from a context.
        self.unit_of = unit_of
        self._assign = assign

    def assign(self, context: Context, unit_id: Optional[str] = None) -> Assignment:
        return self._assign(context, unit_id)


def compile_experiment(
    experiment: Mapping[str, Any], layers: Mapping[Any, Mapping[str, Any]], env: ConditionEnvironment
) -> CompiledExperiment:
    """experiments.ts `compileExperiment`: raises for a broken experiment (the ruleset treats it as not running)."""
    key = experiment["key"]
    variants: Any = experiment.get("variants")
    traffic: Any = experiment.get("trafficAllocation")
    # Revisions come from storage: check the shape even though the write side promises it.
    if not is_list(variants) or len(variants) < 2:
        raise RuleCompileError("needs 2 or more variants")
    if not _is_basis_point(traffic):
        raise RuleCompileError("trafficAllocation must be 0..10000")
    if not all(is_record(v) for v in variants):
        raise RuleCompileError("variants must be objects")
    weights: List[Any] = [v.get("weight") for v in variants]
    if not all(_is_basis_point(w) for w in weights) or sum(weights) != BUCKET_COUNT:
        raise RuleCompileError(f"variant weights must be integers summing to {BUCKET_COUNT}")
    ranges = variant_ranges([int(w) for w in weights], int(traffic))
    assigned = [
        _outcome(key, "ASSIGNED", v.get("key"), copy.deepcopy(v["payload"]) if "payload" in v else None)
        for v in variants
    ]
    unit_missing = _outcome(key, "UNIT_MISSING")
    not_eligible = _outcome(key, "NOT_ELIGIBLE")
    outside_layer = _outcome(key, "OUTSIDE_LAYER")
    outside_traffic = _outcome(key, "OUTSIDE_TRAFFIC")

    conditions = experiment.get("conditions", MISSING)
    eligible = None if conditions is MISSING else compile_condition(conditions, env)
    in_layer: Optional[Callable[[str], bool]] = None
    layer_key = experiment.get("layer", MISSING)
    if layer_key is not MISSING:
        layer = layers.get(layer_key) if isinstance(layer_key, str) else None
        if layer is None:
            raise RuleCompileError(f"unknown layer {layer_key!r}")
        layer_range: Any = experiment.get("layerRange")
        start = layer_range[0] if is_list(layer_range) and len(layer_range) > 0 else None
        end = layer_range[1] if is_list(layer_range) and len(layer_range) > 1 else None
        if not _is_basis_point(start) or not _is_basis_point(end) or start >= end:
            raise RuleCompileError("a layer needs a layerRange [start, end) within 0..10000")
        layer_salt = layer.get("salt")
        layer_state = salt_state(js_string(layer_salt if layer_salt is not None else layer["key"]))

        def in_layer(unit: str) -> bool:
            bucket = bucket_of_hash(hash_from_state(layer_state, unit))
            return start <= bucket < end

    salt = experiment.get("salt")
    state = salt_state(js_string(salt if salt is not None else key))
    unit_attribute = experiment.get("unitAttribute")
    unit_of = _unit_getter_for(unit_attribute if unit_attribute is not None else UNIT_ATTRIBUTE_DEFAULT)

    def assign(context: Context, unit_id: Optional[str] = None) -> Assignment:
        # An explicit unit id follows the same rule as one from the context: "" is no unit.
        unit = unit_of(context) if unit_id is None else to_unit_id(unit_id)
        if unit is None:
            return unit_missing
        if eligible is not None and not eligible(context):
            return not_eligible
        if in_layer is not None and not in_layer(unit):
            return outside_layer
        bucket = bucket_of_hash(hash_from_state(state, unit))
        for i, (range_start, range_end) in enumerate(ranges):
            if bucket < range_start:
                break
            if bucket < range_end:
                return assigned[i]
        return outside_traffic

    return CompiledExperiment(
        key, experiment.get("flagKey"), tuple(v.get("key") for v in variants), unit_of, assign
    )
