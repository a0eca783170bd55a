"""JavaScript value semantics the engine depends on, in one place.

The TypeScript engine (shared/rules/) runs on JSON values in JavaScript: one number type (doubles), booleans
that are not numbers, `undefined`/`null` as "missing". Python's json module gives ints and floats, and
`True == 1`; these helpers make the port compare values the way JavaScript does.
"""

import math
from collections.abc import Mapping
from typing import Any

#: Largest integer a double holds exactly (`Number.MAX_SAFE_INTEGER`).
MAX_SAFE_INTEGER = 2**53 - 1


class _Missing:
    """JavaScript's `undefined` where it differs from `null` (a key absent from a JSON object)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def is_number(value: Any) -> bool:
    """`typeof value === 'number'`: ints and floats, never booleans."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """`typeof value === 'number' && Number.isFinite(value)`."""
    return is_number(value) and (isinstance(value, int) or math.isfinite(value))


def js_number(value: Any) -> Any:
    """A number as JavaScript holds it: integers beyond 2^53 become the double JSON.parse would give."""
    if isinstance(value, int) and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def is_integer_number(value: Any) -> bool:
    """`Number.isInteger(value)`: 3 and 3.0, not 3.5, not booleans."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def is_safe_integer(value: Any) -> bool:
    """`Number.isSafeInteger(value)`."""
    return is_integer_number(value) and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def is_record(value: Any) -> bool:
    """A plain JSON object (not null, not an array)."""
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    """`Array.isArray(value)`."""
    return isinstance(value, (list, tuple))


def is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def eq_key(value: Any) -> Any:
    """A key under which scalars compare as JavaScript's `===` does: `1 === 1.0`, `true !== 1`, `'1' !== 1`."""
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, bool):
        return ("b", value)
    return ("n", js_number(value))


def js_string(value: Any) -> str:
    """`String(value)` for the JSON scalars a salt could be in a hand-made ruleset."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_integer_number(value) and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if is_list(value):
        return ",".join("" if v is None else js_string(v) for v in value)
    return str(value)
