"""Reading context attributes: a port of shared/rules/attributes.ts.

A path is split on dots once, at compile time (`device.os` reads `context["device"]["os"]`); traversal goes
through JSON objects (mappings) only, so `items.length` is missing rather than language-specific. A path with an
empty segment or a `__proto__` segment reads as missing (attributes.ts `splitPath`). Callables read as missing,
as functions do in TypeScript (`own`).
"""

from typing import Any, Callable, List, Mapping, Optional

from ._js import is_record, is_safe_integer

Context = Mapping[str, Any]
AttributeGetter = Callable[[Context], Any]
UnitGetter = Callable[[Context], Optional[str]]


def _always_missing(context: Context) -> Any:
    return None


def own(value: Any) -> Any:
    # attributes.ts `own`: functions (inherited methods in JavaScript) are never attribute values.
    return None if callable(value) else value


def split_path(path: str) -> Optional[List[str]]:
    """attributes.ts `splitPath`; `path` must be a string (TypeScript throws a TypeError otherwise)."""
    if not isinstance(path, str):
        raise TypeError(f"attribute path must be a string, got {type(path).__name__}")
    segments = path.split(".")
    return None if any(s == "" or s == "__proto__" for s in segments) else segments


def attribute_getter(path: str) -> AttributeGetter:
    """attributes.ts `attributeGetter`: None stands for both `undefined` and `null` (both are "missing")."""
    segments = split_path(path)
    if segments is None:
        return _always_missing
    if len(segments) == 1:
        first = segments[0]
        return lambda context: own(context.get(first))
    if len(segments) == 2:
        first, second = segments

        def two(context: Context) -> Any:
            parent: Any = context.get(first)
            return own(parent.get(second)) if is_record(parent) else None

        return two

    steps = segments

    def nested(context: Context) -> Any:
        value: Any = context
        for step in steps:
            if not is_record(value):
                return None
            value = value.get(step)
        return own(value)

    return nested


def to_unit_id(value: Any) -> Optional[str]:
    """attributes.ts `toUnitId`: a non-empty string, or a safe integer written in decimal (`4711` → "4711")."""
    if isinstance(value, str):
        return value if value else None
    if is_safe_integer(value):
        return str(int(value))
    return None


def default_unit(context: Context) -> Optional[str]:
    """attributes.ts `defaultUnit` (SPEC §2.3): `targetingKey`, or `userId` when it is absent or unusable."""
    unit = to_unit_id(own(context.get("targetingKey")))
    return unit if unit is not None else to_unit_id(own(context.get("userId")))


def unit_getter(bucket_by: Any) -> UnitGetter:
    """attributes.ts `unitGetter`: None (absent) or "targetingKey" is the default unit."""
    if bucket_by is None or bucket_by == "targetingKey":
        return default_unit
    get = attribute_getter(bucket_by)
    return lambda context: to_unit_id(get(context))
