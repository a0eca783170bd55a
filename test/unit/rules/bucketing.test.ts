import fc from 'fast-check';
import {
  BUCKET_COUNT,
  allocationIndex,
  bucketOf,
  bucketOfHash,
  cumulativeBounds,
  hashFromState,
  murmur3,
  murmur3Bytes,
  saltState,
} from '../../../shared/rules';

const encoder = new TextEncoder();
/** Any UTF-16 code unit, lone surrogates included. */
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), utf16);

describe('murmur3 (x86_32)', () => {
  // Published values: SMHasher's verification set and widely quoted test vectors.
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\u0000\u0000\u0000\u0000', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('murmur3(%j, %d) = %d', (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
    expect(murmur3Bytes(encoder.encode(input), seed)).toBe(expected);
  });

  it('raw bytes: published non-UTF-8 vectors', () => {
    expect(murmur3Bytes(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0x76293b50);
    expect(murmur3Bytes(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(murmur3Bytes(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0x5082edee)).toBe(0x2362f9de);
    expect(murmur3Bytes(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3Bytes(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3Bytes(new Uint8Array([0x21]), 0)).toBe(0x72661cf4);
  });

  it('hashes strings exactly as their UTF-8 bytes (TextEncoder, lone surrogates as U+FFFD)', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
        expect(murmur3(text, seed)).toBe(murmur3Bytes(encoder.encode(text), seed));
      }),
      { numRuns: 2000, seed: 1 },
    );
  });

  it('the precomputed salt state gives the hash of "<salt>/<unit>"', () => {
    fc.assert(
      fc.property(anyText, anyText, (salt, unit) => {
        expect(hashFromState(saltState(salt), unit)).toBe(murmur3(`${salt}/${unit}`));
      }),
      { numRuns: 1000, seed: 2 },
    );
  });
});

describe('buckets', () => {
  it('are floor(h * 10000 / 2^32), always in [0, 10000)', () => {
    expect(bucketOfHash(0)).toBe(0);
    expect(bucketOfHash(0xffffffff)).toBe(9999);
    expect(bucketOfHash(429496)).toBe(0);
    expect(bucketOfHash(429497)).toBe(1);
    fc.assert(
      fc.property(anyText, anyText, (salt, unit) => {
        const bucket = bucketOf(salt, unit);
        expect(Number.isInteger(bucket)).toBe(true);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(BUCKET_COUNT);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });

  it('are deterministic', () => {
    fc.assert(
      fc.property(anyText, anyText, (salt, unit) => {
        expect(bucketOf(salt, unit)).toBe(bucketOf(`${salt}`, `${unit}`));
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});

describe('split ranges', () => {
  it('assign by cumulative weights in listed order', () => {
    const bounds = cumulativeBounds([1000, 0, 2000, 7000]);
    expect([...bounds]).toEqual([1000, 1000, 3000, 10000]);
    expect(allocationIndex(bounds, 0)).toBe(0);
    expect(allocationIndex(bounds, 999)).toBe(0);
    expect(allocationIndex(bounds, 1000)).toBe(2); // the zero-weight allocation takes nothing
    expect(allocationIndex(bounds, 2999)).toBe(2);
    expect(allocationIndex(bounds, 3000)).toBe(3);
    expect(allocationIndex(bounds, 9999)).toBe(3);
    expect(allocationIndex(cumulativeBounds([5000]), 6000)).toBe(-1);
  });
});
