"""IPv4/IPv6 CIDR matching for `in_cidr`: a port of shared/rules/cidr.ts.

IPv4 is strict dotted decimal (no octal, hex or short forms); IPv6 is RFC 4291 text (`::` compression, an
embedded dotted IPv4 in the last 32 bits, hex groups of 1–4 digits in any case). In contexts, an IPv4-mapped
IPv6 address (`::ffff:10.1.2.3`) matches IPv4 ranges and a zone id (`fe80::1%eth0`) is ignored. A plain address
is a one-address range (/32, /128).
"""

import re
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple, Union

_PREFIX = re.compile(r"0|[1-9][0-9]{0,2}")
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")


class V4Range(NamedTuple):
    network: int
    mask: int


class V6Range(NamedTuple):
    network: Tuple[int, ...]
    prefix: int


CidrRange = Union[V4Range, V6Range]


def parse_ipv4(text: str) -> int:
    """cidr.ts `parseIPv4`: strict dotted-decimal IPv4 as an unsigned 32-bit number, or -1."""
    n = len(text)
    if n < 7 or n > 15:
        return -1
    value = part = digits = parts = 0
    for i in range(n + 1):
        c = text[i] if i < n else "."  # a virtual trailing '.'
        if c == ".":
            if digits == 0 or parts == 4:
                return -1
            value = value * 256 + part
            parts += 1
            part = digits = 0
        elif "0" <= c <= "9":
            if digits > 0 and part == 0:
                return -1  # leading zero
            part = part * 10 + (ord(c) - 48)
            digits += 1
            if digits > 3 or part > 255:
                return -1
        else:
            return -1
    return value if parts == 4 else -1


def _parse_groups(groups: List[str]) -> Optional[List[int]]:
    out = []
    for group in groups:
        if not _HEX_GROUP.fullmatch(group):
            return None
        out.append(int(group, 16))
    return out


def parse_ipv6(text: str, zone: bool = False) -> Optional[Tuple[int, ...]]:
    """cidr.ts `parseIPv6`: the eight 16-bit groups (a zone id dropped when `zone`), or None."""
    address = text
    percent = address.find("%")
    if percent != -1:
        if not zone or percent == len(address) - 1:
            return None
        address = address[:percent]
    if len(address) < 2 or len(address) > 45:
        return None
    gap = address.find("::")
    if gap != -1 and address.find("::", gap + 1) != -1:
        return None
    if gap == -1:
        head = address.split(":")
        tail: List[str] = []
    else:
        head = [] if address[:gap] == "" else address[:gap].split(":")
        tail = [] if address[gap + 2 :] == "" else address[gap + 2 :].split(":")
    # A dotted IPv4 may only stand for the last two groups.
    last = head if gap == -1 else tail
    embedded: List[int] = []
    if last and "." in last[-1]:
        v4 = parse_ipv4(last.pop())
        if v4 == -1:
            return None
        embedded = [v4 >> 16, v4 & 0xFFFF]
    first = _parse_groups(head)
    second = _parse_groups(tail)
    if first is None or second is None:
        return None
    explicit = len(first) + len(second) + len(embedded)
    if (explicit != 8) if gap == -1 else (explicit > 7):
        return None
    return tuple(first + [0] * (8 - explicit) + second + embedded)


def _mask_of(prefix: int) -> int:
    return 0 if prefix == 0 else (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF


def _mask_groups(groups: Sequence[int], prefix: int) -> Tuple[int, ...]:
    out = []
    for i, group in enumerate(groups):
        bits = max(0, min(16, prefix - i * 16))
        out.append(0 if bits == 0 else group & ((0xFFFF << (16 - bits)) & 0xFFFF))
    return tuple(out)


def parse_cidr(text: str) -> Optional[CidrRange]:
    """cidr.ts `parseCidr`: `address[/prefix]`, or None. Host bits below the prefix are ignored."""
    slash = text.find("/")
    address = text if slash == -1 else text[:slash]
    prefix_text = None if slash == -1 else text[slash + 1 :]
    if prefix_text is not None and not _PREFIX.fullmatch(prefix_text):
        return None
    v4 = parse_ipv4(address)
    if v4 != -1:
        prefix = 32 if prefix_text is None else int(prefix_text)
        if prefix > 32:
            return None
        mask = _mask_of(prefix)
        return V4Range(v4 & mask, mask)
    v6 = parse_ipv6(address)
    if v6 is None:
        return None
    prefix = 128 if prefix_text is None else int(prefix_text)
    if prefix > 128:
        return None
    return V6Range(_mask_groups(v6, prefix), prefix)


def cidr_matcher(ranges: Sequence[CidrRange]) -> Callable[[Any], bool]:
    """cidr.ts `cidrMatcher`: a test of a context value against the ranges, built once per clause."""
    v4 = [r for r in ranges if isinstance(r, V4Range)]
    v6 = [r for r in ranges if isinstance(r, V6Range)]

    def in_v4(address: int) -> bool:
        return any(address & r.mask == r.network for r in v4)

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        address = parse_ipv4(value)
        if address != -1:
            return in_v4(address)
        groups = parse_ipv6(value, True)
        if groups is None:
            return False
        if v4 and groups[:6] == (0, 0, 0, 0, 0, 0xFFFF) and in_v4(groups[6] * 65536 + groups[7]):
            return True
        return any(_mask_groups(groups, r.prefix) == r.network for r in v6)

    return test
