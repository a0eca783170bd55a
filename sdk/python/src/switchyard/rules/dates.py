"""Instants for `before`/`after`: a port of shared/rules/dates.ts.

ISO-8601 strings (`2025-03-01`, `2025-03-01T12:00:00Z`, `2025-03-01T12:00:00.250+02:00`) or epoch
milliseconds, parsed by hand so every SDK agrees: a date alone is midnight UTC, a date-time without an offset
is UTC, fractions beyond milliseconds are truncated, impossible dates are invalid. In process, a `datetime`
stands for JavaScript's `Date` (a naive one is read as UTC, like an ISO date-time without an offset).
"""

import math
import re
from datetime import datetime, timezone
from typing import Any, Optional, Union

from ._js import is_number

_ISO_8601 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?"
)
_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

Instant = Union[int, float]


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), as dates.ts."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _is_leap_year(year: int) -> bool:
    return (year % 4 == 0 and year % 100 != 0) or year % 400 == 0


def parse_iso_instant(text: str) -> Optional[int]:
    """dates.ts `parseIsoInstant`: epoch milliseconds of an ISO-8601 string, or None (NaN)."""
    if len(text) > 40:
        return None
    m = _ISO_8601.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if month < 1 or month > 12 or day < 1 or day > _DAYS_IN_MONTH[month - 1]:
        return None
    if month == 2 and day == 29 and not _is_leap_year(year):
        return None
    hour = int(m.group(4) or 0)
    minute = int(m.group(5) or 0)
    second = int(m.group(6) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    millis = 0 if m.group(7) is None else int(m.group(7)[:3].ljust(3, "0"))
    offset_minutes = 0
    if m.group(9) is not None:
        offset_hours = int(m.group(10))
        offset_mins = int(m.group(11) or 0)
        if offset_hours > 23 or offset_mins > 59:
            return None
        offset_minutes = (-1 if m.group(9) == "-" else 1) * (offset_hours * 60 + offset_mins)
    return (
        _days_from_civil(year, month, day) * 86_400_000
        + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000
        + millis
    )


def to_epoch_millis(value: Any) -> Optional[Instant]:
    """dates.ts `toEpochMillis`: an ISO string, epoch ms or (in process) a datetime; else None (NaN)."""
    if is_number(value):
        return value if isinstance(value, int) or math.isfinite(value) else None
    if isinstance(value, str):
        return parse_iso_instant(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return math.floor(aware.timestamp() * 1000)
    return None
