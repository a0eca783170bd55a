"""Conditions compiled into predicates over a context: a port of shared/rules/operators.ts.

Everything that does not depend on the context is done once per ruleset revision: sets for in/not_in,
lower-cased values, parsed versions, translated regexes, parsed CIDR ranges, instants, folded thresholds.

Clause semantics (docs/rules.md §1): a positive operator matches when the attribute, or any element of an array
attribute, satisfies it against any of the values; a missing attribute (None) or one of the wrong type never
matches. A negated operator (neq, not_in, not_contains, not_in_segment) matches when the attribute has at least
one element of a usable type and no element satisfies the positive operator: false on a missing attribute too.
"""

from typing import Any, Callable, Dict, List, Mapping, Optional

from ._js import MISSING, eq_key, is_finite_number, is_list, is_number, is_record, is_scalar, js_number
from .attributes import AttributeGetter, Context, attribute_getter, default_unit, to_unit_id
from .cidr import cidr_matcher, parse_cidr
from .dates import to_epoch_millis
from .ecma_regex import UnsupportedPattern, compile_ecma_regex
from .semver import compare_semver, compare_semver_text, parse_semver

Predicate = Callable[[Context], bool]
ElementTest = Callable[[Any], bool]
SegmentMembership = Callable[[Context, Optional[str]], bool]


class RuleCompileError(Exception):
    """operators.ts `RuleCompileError`: this flag, segment or experiment cannot be compiled."""


class ConditionEnvironment:
    """operators.ts `ConditionEnvironment`: segments by key, and getters shared by clauses reading one path."""

    def __init__(self, segment: Callable[[str], Optional[SegmentMembership]]) -> None:
        self.segment = segment
        self.getters: Dict[str, AttributeGetter] = {}


def _never(context: Context) -> bool:
    return False


def _always(context: Context) -> bool:
    return True


def _list_of(value: Any, what: str) -> List[Any]:
    # TypeScript calls `.map`/`.filter` on it: anything but an array is a TypeError, i.e. a compile error.
    if not is_list(value):
        raise RuleCompileError(f"{what} must be a list")
    return list(value)


def compile_condition(condition: Any, env: ConditionEnvironment) -> Predicate:
    """operators.ts `compileCondition`: {all}, {any}, {not} or a clause, checked in that order."""
    if not is_record(condition):
        raise RuleCompileError("a condition is {all}, {any}, {not} or a clause")
    if "all" in condition:
        return _all_of([compile_condition(c, env) for c in _list_of(condition["all"], "all")])
    if "any" in condition:
        return _any_of([compile_condition(c, env) for c in _list_of(condition["any"], "any")])
    if "not" in condition:
        inner = compile_condition(condition["not"], env)
        return lambda context: not inner(context)
    if "op" in condition:
        return compile_clause(condition, env)
    raise RuleCompileError("a condition is {all}, {any}, {not} or a clause")


def _all_of(parts: List[Predicate]) -> Predicate:
    if not parts:
        return _always
    if len(parts) == 1:
        return parts[0]
    return lambda context: all(part(context) for part in parts)


def _any_of(parts: List[Predicate]) -> Predicate:
    if not parts:
        return _never
    if len(parts) == 1:
        return parts[0]
    return lambda context: any(part(context) for part in parts)


def _any_element(get: AttributeGetter, test: ElementTest) -> Predicate:
    """operators.ts `anyElement`: the value, or any element of a list value, passes the test."""

    def predicate(context: Context) -> bool:
        value = get(context)
        if value is None:
            return False
        if not is_list(value):
            return test(value)
        return any(test(element) for element in value)

    return predicate


def _no_element(get: AttributeGetter, usable: ElementTest, test: ElementTest) -> Predicate:
    """operators.ts `noElement`: some element is of a usable type and no element passes the positive test."""

    def predicate(context: Context) -> bool:
        value = get(context)
        if value is None:
            return False
        if not is_list(value):
            return usable(value) and not test(value)
        seen = False
        for element in value:
            if not usable(element):
                continue
            if test(element):
                return False
            seen = True
        return seen

    return predicate


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _strings(clause: Mapping[str, Any], values: List[Any]) -> List[str]:
    out = []
    for value in values:
        if not isinstance(value, str):
            raise RuleCompileError(f"{clause['op']} takes strings, got {type(value).__name__}")
        out.append(value.lower() if clause.get("caseInsensitive") is True else value)
    return out


def _non_empty(clause: Mapping[str, Any], values: List[Any]) -> List[Any]:
    if not values:
        raise RuleCompileError(f"{clause['op']} needs at least one value")
    return values


def _equality_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    """operators.ts `equalityTest`: strict equality (`1 == 1.0`, `True != 1`, `"1" != 1`)."""
    scalars = [v for v in values if is_scalar(v)]
    if clause.get("caseInsensitive") is True:
        exact = {eq_key(v) for v in scalars if not isinstance(v, str)}
        folded = {v.lower() for v in scalars if isinstance(v, str)}

        def folded_test(value: Any) -> bool:
            if isinstance(value, str):
                return value.lower() in folded
            return is_scalar(value) and eq_key(value) in exact

        return folded_test
    keys = {eq_key(v) for v in scalars}
    return lambda value: is_scalar(value) and eq_key(value) in keys


def _string_test(clause: Mapping[str, Any], values: List[Any], match: Callable[[str, str], bool]) -> ElementTest:
    """operators.ts `stringTest`: any operand matches; caseInsensitive lower-cases both sides."""
    operands = _strings(clause, values)
    fold = clause.get("caseInsensitive") is True

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        text = value.lower() if fold else value
        return any(match(text, operand) for operand in operands)

    return test


def _regex_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    """operators.ts `regexTest`: unanchored search with ECMAScript semantics (see ecma_regex.py)."""
    ignore_case = clause.get("caseInsensitive") is True
    regexes = []
    for value in values:
        if not isinstance(value, str):
            raise RuleCompileError("matches takes patterns")
        try:
            regexes.append(compile_ecma_regex(value, ignore_case))
        except UnsupportedPattern as error:
            raise RuleCompileError(str(error)) from error

    def test(value: Any) -> bool:
        return isinstance(value, str) and any(regex.search(value) is not None for regex in regexes)

    return test


def _number_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    """operators.ts `numberTest`: gt/gte above the smallest value, lt/lte below the largest."""
    numbers = []
    for value in values:
        if not is_finite_number(value):
            raise RuleCompileError(f"{clause['op']} takes numbers")
        numbers.append(js_number(value))
    _non_empty(clause, numbers)
    low, high = min(numbers), max(numbers)
    op = clause["op"]
    if op == "gt":
        return lambda v: is_number(v) and js_number(v) > low
    if op == "gte":
        return lambda v: is_number(v) and js_number(v) >= low
    if op == "lt":
        return lambda v: is_number(v) and js_number(v) < high
    return lambda v: is_number(v) and js_number(v) <= high


def _semver_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    """operators.ts `semverTest`: eq any value; gt/gte the smallest; lt/lte the largest."""
    versions = []
    for value in values:
        parsed = parse_semver(value) if isinstance(value, str) else None
        if parsed is None:
            raise RuleCompileError(f"{clause['op']} takes semantic versions, got {value!r}")
        versions.append(parsed)
    _non_empty(clause, versions)
    low = versions[0]
    high = versions[0]
    for version in versions[1:]:
        if compare_semver(version, low) < 0:
            low = version
        if compare_semver(version, high) > 0:
            high = version
    op = clause["op"]

    def compare(value: Any, target: Any) -> Optional[int]:
        return compare_semver_text(value, target) if isinstance(value, str) else None

    if op == "semver_eq":
        return lambda v: isinstance(v, str) and any(compare_semver_text(v, t) == 0 for t in versions)
    if op == "semver_gt":
        return lambda v: (lambda c: c is not None and c > 0)(compare(v, low))
    if op == "semver_gte":
        return lambda v: (lambda c: c is not None and c >= 0)(compare(v, low))
    if op == "semver_lt":
        return lambda v: (lambda c: c is not None and c < 0)(compare(v, high))
    return lambda v: (lambda c: c is not None and c <= 0)(compare(v, high))


def _date_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    """operators.ts `dateTest`: before the latest value, after the earliest."""
    instants = []
    for value in values:
        instant = to_epoch_millis(value)
        if instant is None:
            raise RuleCompileError(f"{clause['op']} takes ISO-8601 dates or epoch ms")
        instants.append(js_number(instant))
    _non_empty(clause, instants)
    if clause["op"] == "before":
        latest = max(instants)
        return lambda v: (lambda t: t is not None and js_number(t) < latest)(to_epoch_millis(v))
    earliest = min(instants)
    return lambda v: (lambda t: t is not None and js_number(t) > earliest)(to_epoch_millis(v))


def _cidr_test(clause: Mapping[str, Any], values: List[Any]) -> ElementTest:
    ranges = []
    for value in values:
        parsed = parse_cidr(value) if isinstance(value, str) else None
        if parsed is None:
            raise RuleCompileError(f"in_cidr takes CIDR ranges, got {value!r}")
        ranges.append(parsed)
    return cidr_matcher(_non_empty(clause, ranges))


def _getter_for(path: Any, env: ConditionEnvironment) -> AttributeGetter:
    if not isinstance(path, str):
        # TypeScript: `path.split` on a non-string is a TypeError, i.e. a compile error.
        raise RuleCompileError("attribute must be a string")
    getter = env.getters.get(path)
    if getter is None:
        getter = attribute_getter(path)
        env.getters[path] = getter
    return getter


def _segment_predicate(clause: Mapping[str, Any], env: ConditionEnvironment) -> Predicate:
    """operators.ts `segmentPredicate`: the unit is the attribute when given, else the default unit."""
    memberships: List[SegmentMembership] = []
    for key in _list_of(clause.get("values", MISSING), "values"):
        if not isinstance(key, str):
            raise RuleCompileError(f"{clause['op']} takes segment keys")
        # An unknown segment has no members (as a deleted segment would).
        membership = env.segment(key)
        memberships.append(membership if membership is not None else (lambda context, unit: False))

    def in_any(context: Context, unit: Optional[str]) -> bool:
        return any(membership(context, unit) for membership in memberships)

    negated = clause["op"] == "not_in_segment"
    if "attribute" not in clause:
        if negated:

            def not_in_default(context: Context) -> bool:
                unit = default_unit(context)
                return unit is not None and not in_any(context, unit)

            return not_in_default
        return lambda context: in_any(context, default_unit(context))

    get = _getter_for(clause["attribute"], env)

    def usable(value: Any) -> bool:
        return to_unit_id(value) is not None

    # Without a unit the segment's conditions can still match; the lists cannot.
    def positive(context: Context) -> bool:
        value = get(context)
        if not is_list(value):
            return in_any(context, to_unit_id(value))
        saw_unit = False
        for element in value:
            unit = to_unit_id(element)
            if unit is None:
                continue
            if in_any(context, unit):
                return True
            saw_unit = True
        return not saw_unit and in_any(context, None)

    if not negated:
        return positive

    def negative(context: Context) -> bool:
        value = get(context)
        has_unit = any(usable(v) for v in value) if is_list(value) else usable(value)
        return has_unit and not positive(context)

    return negative


def compile_clause(clause: Mapping[str, Any], env: ConditionEnvironment) -> Predicate:
    """operators.ts `compileClause`."""
    op = clause["op"]
    if op in ("in_segment", "not_in_segment"):
        return _segment_predicate(clause, env)
    if not isinstance(clause.get("attribute"), str):
        raise RuleCompileError(f"{op} needs an attribute")
    get = _getter_for(clause["attribute"], env)
    if op == "exists":
        return lambda context: get(context) is not None
    if op == "not_exists":
        return lambda context: get(context) is None
    values = lambda: _list_of(clause.get("values", MISSING), "values")  # noqa: E731 — read only where used
    if op in ("eq", "in"):
        return _any_element(get, _equality_test(clause, values()))
    if op in ("neq", "not_in"):
        return _no_element(get, is_scalar, _equality_test(clause, values()))
    if op == "contains":
        return _any_element(get, _string_test(clause, values(), lambda s, o: o in s))
    if op == "not_contains":
        return _no_element(get, _is_string, _string_test(clause, values(), lambda s, o: o in s))
    if op == "starts_with":
        return _any_element(get, _string_test(clause, values(), lambda s, o: s.startswith(o)))
    if op == "ends_with":
        return _any_element(get, _string_test(clause, values(), lambda s, o: s.endswith(o)))
    if op == "matches":
        return _any_element(get, _regex_test(clause, values()))
    if op in ("gt", "gte", "lt", "lte"):
        return _any_element(get, _number_test(clause, values()))
    if op in ("semver_eq", "semver_gt", "semver_gte", "semver_lt", "semver_lte"):
        return _any_element(get, _semver_test(clause, values()))
    if op in ("before", "after"):
        return _any_element(get, _date_test(clause, values()))
    if op == "in_cidr":
        return _any_element(get, _cidr_test(clause, values()))
    raise RuleCompileError(f"unknown operator {op!r}")


def segment_keys_of(condition: Any, into: Optional[set] = None) -> set:
    """operators.ts `segmentKeysOf`: segment keys a condition refers to."""
    keys = set() if into is None else into
    if not is_record(condition):
        return keys
    if "all" in condition and is_list(condition["all"]):
        for child in condition["all"]:
            segment_keys_of(child, keys)
    elif "any" in condition and is_list(condition["any"]):
        for child in condition["any"]:
            segment_keys_of(child, keys)
    elif "not" in condition:
        segment_keys_of(condition["not"], keys)
    elif condition.get("op") in ("in_segment", "not_in_segment") and is_list(condition.get("values")):
        keys.update(v for v in condition["values"] if isinstance(v, str))
    return keys
