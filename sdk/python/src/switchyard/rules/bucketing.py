"""Bucketing, the contract every SDK reproduces bit for bit: a port of shared/rules/bucketing.ts (SPEC §2.3).

    h = murmurhash3_x86_32(utf8("<salt>/<unitId>"), seed 0);  bucket = floor(h * 10000 / 2^32)

Strings are encoded to UTF-8 as JavaScript's TextEncoder does: a surrogate pair held as two code points is one
character, a lone surrogate becomes U+FFFD. As in TypeScript, the hash state after "<salt>/" is computed once
per flag, experiment or layer (`salt_state`), and each evaluation hashes only the unit id.
"""

import struct
from typing import List, NamedTuple, Sequence

HASH_VERSION = 1
BUCKET_COUNT = 10_000

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF
_BLOCKS = struct.Struct("<I")


def utf8(text: str) -> bytes:
    """UTF-8 of a string as JavaScript's TextEncoder encodes the same UTF-16 string."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Surrogates: going through UTF-16 pairs the ones that form a pair and replaces the lone ones.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


def _scramble(k: int) -> int:
    k = (k * _C1) & _MASK
    k = ((k << 15) | (k >> 17)) & _MASK
    return (k * _C2) & _MASK


def _mix_blocks(h1: int, data: bytes, end: int) -> int:
    for (k,) in _BLOCKS.iter_unpack(data[:end]):
        h1 ^= _scramble(k)
        h1 = ((h1 << 13) | (h1 >> 19)) & _MASK
        h1 = (h1 * 5 + 0xE6546B64) & _MASK
    return h1


def _finalize(h1: int, tail: bytes, length: int) -> int:
    if tail:
        h1 ^= _scramble(int.from_bytes(tail, "little"))
    h1 ^= length & _MASK
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _MASK
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _MASK
    h1 ^= h1 >> 16
    return h1


def murmur3_bytes(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32 of raw bytes, unsigned."""
    end = len(data) & ~3
    h1 = _mix_blocks(seed & _MASK, data, end)
    return _finalize(h1, data[end:], len(data))


def murmur3(text: str, seed: int = 0) -> int:
    """MurmurHash3 x86_32 of the UTF-8 encoding of `text` (lone surrogates as U+FFFD), unsigned."""
    return murmur3_bytes(utf8(text), seed)


class HashState(NamedTuple):
    """The hash state after some bytes: running h1, the pending 0–3 bytes and the byte count."""

    h1: int
    tail: bytes
    length: int


def salt_state(salt: str) -> HashState:
    """The hash state after "<salt>/", computed once per flag, experiment or layer."""
    data = utf8(salt + "/")
    end = len(data) & ~3
    return HashState(_mix_blocks(0, data, end), data[end:], len(data))


def hash_from_state(state: HashState, unit_id: str) -> int:
    """Hash of "<salt>/<unitId>" from the precomputed salt state."""
    unit = utf8(unit_id)
    data = state.tail + unit
    end = len(data) & ~3
    return _finalize(_mix_blocks(state.h1, data, end), data[end:], state.length + len(unit))


def bucket_of_hash(hash_value: int) -> int:
    """Maps a 32-bit hash onto [0, 10 000): `(h * 10000) >> 32`."""
    return (hash_value * BUCKET_COUNT) >> 32


def bucket_of(salt: str, unit_id: str) -> int:
    """The unit's bucket for a salt: `floor(murmur3("<salt>/<unitId>") * 10000 / 2^32)`."""
    return bucket_of_hash(murmur3(f"{salt}/{unit_id}"))


def cumulative_bounds(weights: Sequence[int]) -> List[int]:
    """Cumulative upper bounds of a split's allocations in listed order: [0, w1), [w1, w1 + w2)…"""
    bounds = []
    total = 0
    for weight in weights:
        total += weight
        bounds.append(total)
    return bounds


def allocation_index(bounds: Sequence[int], bucket: int) -> int:
    """Index of the allocation whose range holds `bucket`, or -1 when the weights cover less."""
    for i, bound in enumerate(bounds):
        if bucket < bound:
            return i
    return -1
