/**
 * Bucketing, the contract every SDK reproduces bit for bit (SPEC §2.3, vectors in test/vectors/):
 *
 *   h = murmurhash3_x86_32(utf8("<salt>/<unitId>"), seed 0);  bucket = floor(h * 10000 / 2^32)
 *
 * The hash reads UTF-16 strings and encodes them to UTF-8 on the fly (lone surrogates become U+FFFD, as
 * `TextEncoder` does), so hashing allocates nothing. The "<salt>/" prefix is constant per flag: its state is
 * computed once at compile time and each evaluation hashes only the unit id.
 */

export const HASH_VERSION = 1;
export const BUCKET_COUNT = 10_000;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The hash state after some bytes: running h1, the pending 0–3 bytes (little-endian) and the byte count. */
export interface HashState {
  readonly h1: number;
  readonly tail: number;
  readonly tailBytes: number;
  readonly length: number;
}

function scrambleBlock(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixBlock(h1: number, k: number): number {
  h1 ^= scrambleBlock(k);
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function finalize(h1: number, tail: number, tailBytes: number, length: number): number {
  if (tailBytes > 0) h1 ^= scrambleBlock(tail);
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

// Scratch state of `absorb`, read right after each call. Module-level so that hashing allocates nothing;
// safe because JavaScript runs one absorb at a time.
let outH1 = 0;
let outTail = 0;
let outTailBytes = 0;
let outLength = 0;

/** Feeds the UTF-8 encoding of `input` into the state (h1, tail, tailBytes, length); result in out*. */
function absorb(input: string, h1: number, tail: number, tailBytes: number, length: number): void {
  const n = input.length;
  let i = 0;
  // ASCII fast path: one byte per UTF-16 unit, no encoding.
  for (; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x80) break;
    tail |= c << (tailBytes << 3);
    if (++tailBytes === 4) {
      h1 = mixBlock(h1, tail);
      tail = 0;
      tailBytes = 0;
    }
  }
  length += i;
  for (; i < n; i++) {
    const c = input.charCodeAt(i);
    let packed: number;
    let count: number;
    if (c < 0x80) {
      packed = c;
      count = 1;
    } else if (c < 0x800) {
      packed = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else {
      let codePoint = c;
      if (c >= 0xd800 && c < 0xe000) {
        const next = i + 1 < n ? input.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          codePoint = ((c - 0xd800) << 10) + (next - 0xdc00) + 0x10000;
          i++;
        } else {
          codePoint = 0xfffd;
        }
      }
      if (codePoint < 0x10000) {
        packed =
          0xe0 |
          (codePoint >> 12) |
          ((0x80 | ((codePoint >> 6) & 0x3f)) << 8) |
          ((0x80 | (codePoint & 0x3f)) << 16);
        count = 3;
      } else {
        packed =
          0xf0 |
          (codePoint >> 18) |
          ((0x80 | ((codePoint >> 12) & 0x3f)) << 8) |
          ((0x80 | ((codePoint >> 6) & 0x3f)) << 16) |
          ((0x80 | (codePoint & 0x3f)) << 24);
        count = 4;
      }
    }
    length += count;
    if (tailBytes + count < 4) {
      tail |= packed << (tailBytes * 8);
      tailBytes += count;
    } else {
      // Complete a 4-byte block with the first (4 - tailBytes) bytes; keep the rest as the new tail.
      const taken = 4 - tailBytes;
      h1 = mixBlock(h1, tailBytes === 0 ? packed : tail | (packed << (tailBytes * 8)));
      tailBytes = count - taken;
      tail = tailBytes === 0 ? 0 : packed >>> (taken * 8);
    }
  }
  outH1 = h1;
  outTail = tail;
  outTailBytes = tailBytes;
  outLength = length;
}

/** MurmurHash3 x86_32 of the UTF-8 encoding of `input` (lone surrogates as U+FFFD), unsigned. */
export function murmur3(input: string, seed = 0): number {
  absorb(input, seed | 0, 0, 0, 0);
  return finalize(outH1, outTail, outTailBytes, outLength);
}

/** MurmurHash3 x86_32 of raw bytes: the textbook algorithm, kept as the in-repo cross-check of `murmur3`. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  let h1 = seed | 0;
  const blocks = bytes.length >>> 2;
  for (let b = 0; b < blocks; b++) {
    const i = b * 4;
    h1 = mixBlock(h1, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const tailBytes = bytes.length & 3;
  let tail = 0;
  for (let j = tailBytes - 1; j >= 0; j--) tail = (tail << 8) | bytes[blocks * 4 + j]!;
  return finalize(h1, tail, tailBytes, bytes.length);
}

/** The hash state after `"<salt>/"`, computed once per flag, experiment or layer. */
export function saltState(salt: string): HashState {
  absorb(`${salt}/`, 0, 0, 0, 0);
  return { h1: outH1, tail: outTail, tailBytes: outTailBytes, length: outLength };
}

/** Hash of `"<salt>/<unitId>"` from the precomputed salt state. */
export function hashFromState(state: HashState, unitId: string): number {
  absorb(unitId, state.h1, state.tail, state.tailBytes, state.length);
  return finalize(outH1, outTail, outTailBytes, outLength);
}

/** Maps a 32-bit hash onto [0, 10 000): exact in doubles since h * 10 000 < 2^53. */
export function bucketOfHash(hash: number): number {
  return Math.floor((hash * BUCKET_COUNT) / 4294967296);
}

/** The unit's bucket for a salt: `floor(murmur3("<salt>/<unitId>") * 10000 / 2^32)`. */
export function bucketOf(salt: string, unitId: string): number {
  return bucketOfHash(murmur3(`${salt}/${unitId}`));
}

/**
 * Cumulative upper bounds of a split's allocations in listed order: the first takes [0, w1), the next
 * [w1, w1 + w2)… Raising an allocation's weight (and lowering a later one's) keeps every unit already in.
 */
export function cumulativeBounds(weights: readonly number[]): Int32Array {
  const bounds = new Int32Array(weights.length);
  let sum = 0;
  weights.forEach((weight, i) => {
    sum += weight;
    bounds[i] = sum;
  });
  return bounds;
}

/** Index of the allocation whose range holds `bucket`, or -1 when the weights cover less than the bucket. */
export function allocationIndex(bounds: Int32Array, bucket: number): number {
  for (let i = 0; i < bounds.length; i++) {
    if (bucket < bounds[i]!) return i;
  }
  return -1;
}
