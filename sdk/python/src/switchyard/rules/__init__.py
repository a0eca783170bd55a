"""The evaluation engine: a Python port of shared/rules (the TypeScript engine the service runs).

The same ruleset gives the same answers here and in the service; test/vectors/ hold the contract and
sdk/python/tests/test_vectors.py runs all of it.
"""

from .bucketing import (
    BUCKET_COUNT,
    HASH_VERSION,
    allocation_index,
    bucket_of,
    bucket_of_hash,
    cumulative_bounds,
    hash_from_state,
    murmur3,
    murmur3_bytes,
    salt_state,
)
from .attributes import default_unit, to_unit_id
from .cidr import parse_cidr
from .compile import CompiledRuleset, FlagInfo, RulesetError, compile_ruleset
from .dates import parse_iso_instant, to_epoch_millis
from .ecma_regex import UnsupportedPattern, compile_ecma_regex
from .experiments import CompiledExperiment, variant_ranges
from .operators import segment_keys_of
from .prerequisites import MAX_PREREQUISITE_DEPTH, find_prerequisite_cycle
from .semver import SemVer, compare_semver, parse_semver
from .types import (
    ASSIGNMENT_REASONS,
    EVALUATION_ERROR_CODES,
    EVALUATION_REASONS,
    FLAG_KINDS,
    Assignment,
    EvaluationResult,
)

__all__ = [
    "ASSIGNMENT_REASONS",
    "BUCKET_COUNT",
    "EVALUATION_ERROR_CODES",
    "EVALUATION_REASONS",
    "FLAG_KINDS",
    "HASH_VERSION",
    "MAX_PREREQUISITE_DEPTH",
    "Assignment",
    "CompiledExperiment",
    "CompiledRuleset",
    "EvaluationResult",
    "FlagInfo",
    "RulesetError",
    "SemVer",
    "UnsupportedPattern",
    "allocation_index",
    "bucket_of",
    "bucket_of_hash",
    "compare_semver",
    "compile_ecma_regex",
    "compile_ruleset",
    "cumulative_bounds",
    "default_unit",
    "find_prerequisite_cycle",
    "hash_from_state",
    "murmur3",
    "murmur3_bytes",
    "parse_cidr",
    "parse_iso_instant",
    "parse_semver",
    "salt_state",
    "segment_keys_of",
    "to_epoch_millis",
    "to_unit_id",
    "variant_ranges",
]
