/**
 * Text too large for one DynamoDB item (400 KB) stored as parts beside it. Parts are cut by UTF-8 bytes, never
 * inside a character, so that each one is valid UTF-8 on its own and the concatenation is the original text.
 */

/** Bytes of text per part item: under the 400 KB item limit with room for the keys. */
export const PART_BYTES = 300 * 1024;

/** Documents up to this size (JSON, UTF-8) stay inline in their item; larger ones go to parts. */
export const INLINE_BYTES = 300 * 1024;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `text` cut into pieces of at most `size` UTF-8 bytes (size ≥ 4), each ending on a character boundary. */
export function splitUtf8(text: string, size: number = PART_BYTES): string[] {
  if (size < 4) throw new RangeError('a part must hold at least one character (4 bytes)');
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + size, bytes.length);
    // A byte 10xxxxxx continues the character before it: back up to that character's first byte.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    parts.push(bytes.toString('utf8', start, end));
    start = end;
  }
  return parts;
}

/** The text of parts read back in any order, each with its index. */
export function joinParts(parts: readonly { readonly index: number; readonly data: string }[]): string {
  return [...parts]
    .sort((a, b) => a.index - b.index)
    .map((p) => p.data)
    .join('');
}
