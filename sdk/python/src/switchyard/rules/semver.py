"""SemVer 2.0.0 parsing and precedence: a port of shared/rules/semver.ts.

Accepted: `MAJOR.MINOR.PATCH[-prerelease][+build]` with an optional leading `v`; numeric identifiers are safe
integers without leading zeros (as node-semver); build metadata is ignored. Digits are ASCII only (`[0-9]`,
JavaScript's `\\d`), and the whole text must match (JavaScript's `$` does not accept a trailing newline).
"""

import re
from functools import lru_cache
from typing import List, NamedTuple, Optional, Tuple, Union

from ._js import MAX_SAFE_INTEGER

_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(
    r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    rf"(?:-({_ID}(?:\.{_ID})*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)
_NUMERIC = re.compile(r"[0-9]+")


class SemVer(NamedTuple):
    major: int
    minor: int
    patch: int
    #: Prerelease identifiers; ints for numeric ones. Empty for a release.
    prerelease: Tuple[Union[int, str], ...]


@lru_cache(maxsize=4096)
def parse_semver(text: str) -> Optional[SemVer]:
    """semver.ts `parseSemver`: a version, or None."""
    if len(text) > 256:
        return None
    match = _SEMVER.fullmatch(text)
    if match is None:
        return None
    major, minor, patch = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if max(major, minor, patch) > MAX_SAFE_INTEGER:
        return None
    pre = match.group(4)
    if pre is None:
        return SemVer(major, minor, patch, ())
    prerelease: List[Union[int, str]] = []
    for identifier in pre.split("."):
        if _NUMERIC.fullmatch(identifier):
            number = int(identifier)
            if number > MAX_SAFE_INTEGER:
                return None
            prerelease.append(number)
        else:
            prerelease.append(identifier)
    return SemVer(major, minor, patch, tuple(prerelease))


def compare_semver(a: SemVer, b: SemVer) -> int:
    """semver.ts `compareSemver`: negative, zero or positive as `a` ranks below, equal to or above `b`."""
    for left, right in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if left != right:
            return -1 if left < right else 1
    pa, pb = a.prerelease, b.prerelease
    # A release ranks above any of its prereleases.
    if not pa or not pb:
        return 0 if len(pa) == len(pb) else (1 if not pa else -1)
    x: Union[int, str]
    y: Union[int, str]
    for x, y in zip(pa, pb):
        if x == y and type(x) is type(y):
            continue
        x_numeric, y_numeric = isinstance(x, int), isinstance(y, int)
        # Numeric identifiers rank below alphanumeric ones; like kinds compare numerically or in ASCII order.
        if x_numeric != y_numeric:
            return -1 if x_numeric else 1
        return -1 if x < y else 1  # type: ignore[operator]
    return 0 if len(pa) == len(pb) else (-1 if len(pa) < len(pb) else 1)


def compare_semver_text(text: str, target: SemVer) -> Optional[int]:
    """semver.ts `compareSemverText`: the comparison, or None (NaN) when `text` is not a version."""
    parsed = parse_semver(text)
    return None if parsed is None else compare_semver(parsed, target)
