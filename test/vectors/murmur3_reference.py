#!/usr/bin/env python3
"""Independent reference for Switchyard bucketing (SPEC 2.3), standard library only.

Written from the MurmurHash3 x86_32 description (Austin Appleby, MurmurHash3.cpp), not from the TypeScript
code, so that test/vectors/bucketing.json is checked by two implementations.

    python3 test/vectors/murmur3_reference.py --self-test
    echo '[["salt", "unit"]]' | python3 test/vectors/murmur3_reference.py   # -> [[hash, bucket]]

Strings are encoded to UTF-8 with lone surrogates replaced by U+FFFD (what JavaScript's TextEncoder does).
"""

import json
import re
import sys

MASK = 0xFFFFFFFF
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def rotl32(x, r):
    return ((x << r) | (x >> (32 - r))) & MASK


def fmix32(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    h ^= h >> 16
    return h


def murmur3_32(data: bytes, seed: int = 0) -> int:
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h1 = seed & MASK
    nblocks = len(data) // 4
    for i in range(nblocks):
        k1 = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k1 = (k1 * c1) & MASK
        k1 = rotl32(k1, 15)
        k1 = (k1 * c2) & MASK
        h1 ^= k1
        h1 = rotl32(h1, 13)
        h1 = (h1 * 5 + 0xE6546B64) & MASK
    tail = data[4 * nblocks :]
    k1 = 0
    if len(tail) >= 3:
        k1 ^= tail[2] << 16
    if len(tail) >= 2:
        k1 ^= tail[1] << 8
    if len(tail) >= 1:
        k1 ^= tail[0]
        k1 = (k1 * c1) & MASK
        k1 = rotl32(k1, 15)
        k1 = (k1 * c2) & MASK
        h1 ^= k1
    h1 ^= len(data) & MASK
    return fmix32(h1)


def utf8(text: str) -> bytes:
    # Python keeps surrogate pairs decoded from JSON ("\ud83d\ude00") as one code point already; only lone
    # surrogates remain in the 0xD800-0xDFFF range.
    return LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def bucket(salt: str, unit_id: str):
    h = murmur3_32(utf8(f"{salt}/{unit_id}"), 0)
    return h, (h * 10000) >> 32


# Published MurmurHash3 x86_32 values (e.g. the SMHasher verification set and widely quoted test vectors).
KNOWN = [
    (b"", 0, 0x00000000),
    (b"", 1, 0x514E28B7),
    (b"", 0xFFFFFFFF, 0x81F16F39),
    (b"\x00\x00\x00\x00", 0, 0x2362F9DE),
    (b"\xff\xff\xff\xff", 0, 0x76293B50),
    (b"!Ce\x87", 0, 0xF55B516B),
    (b"!Ce\x87", 0x5082EDEE, 0x2362F9DE),
    (b"!Ce", 0, 0x7E4A8634),
    (b"!C", 0, 0xA0F7B07A),
    (b"!", 0, 0x72661CF4),
    (b"aaaa", 0x9747B28C, 0x5A97808A),
    (b"abc", 0, 0xB3DD93FA),
    (b"hello", 0, 0x248BFA47),
    (b"Hello, world!", 0x9747B28C, 0x24884CBA),
    (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
    (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
]


def self_test():
    for data, seed, expected in KNOWN:
        got = murmur3_32(data, seed)
        if got != expected:
            raise SystemExit(f"murmur3_32({data!r}, {seed:#x}) = {got:#010x}, expected {expected:#010x}")
    print(f"ok: {len(KNOWN)} published vectors")


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
    else:
        pairs = json.load(sys.stdin)
        json.dump([list(bucket(salt, unit)) for salt, unit in pairs], sys.stdout)
