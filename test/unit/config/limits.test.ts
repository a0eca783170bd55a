import {
  checkResourceSize,
  jsonBytes,
  MAX_JSON_VALUE_BYTES,
  MAX_RESOURCE_BYTES,
} from '../../../shared/config/limits';
import { joinParts, splitUtf8, utf8Bytes } from '../../../shared/db/parts';
import { ValidationError } from '../../../shared/errors';
import { variantSchema } from '../../../shared/experiments/schema';
import { flagInputSchema } from '../../../shared/flags/schema';
import type { Segment } from '../../../shared/segments/requests';
import { segmentInputSchema } from '../../../shared/segments/schema';
import { withinBudget } from '../../../shared/segments/service';

/** The documented size limits (docs/architecture.md, "Size limits"), each refused with a message naming it. */
describe('size limits', () => {
  const jsonFlag = (value: unknown) => ({
    key: 'config',
    name: 'Config',
    kind: 'json',
    variations: [
      { key: 'small', value: { a: 1 } },
      { key: 'big', value },
    ],
    offVariation: 'small',
    fallthrough: { variation: 'small' },
  });

  it('refuses a JSON flag variation of 450 KB with 400 naming the 32 KiB limit (issue 16)', () => {
    const result = flagInputSchema.safeParse(jsonFlag({ blob: 'x'.repeat(450 * 1024) }));
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['variations', 1, 'value'],
        message: `is ${450 * 1024 + 11} bytes of JSON; a variation’s value may hold at most 32768 bytes (32 KiB)`,
      }),
    ]);
  });

  it('takes a variation value of exactly 32 KiB, counted in UTF-8 bytes of compact JSON', () => {
    const fits = 'x'.repeat(MAX_JSON_VALUE_BYTES - 2); // the two quotes make 32 768
    expect(flagInputSchema.safeParse(jsonFlag(fits)).success).toBe(true);
    expect(flagInputSchema.safeParse(jsonFlag(`${fits}x`)).success).toBe(false);
    // 'é' is two bytes in UTF-8: half as many fit.
    expect(flagInputSchema.safeParse(jsonFlag('é'.repeat(MAX_JSON_VALUE_BYTES / 2))).success).toBe(false);
    expect(jsonBytes({ a: [1, 'é'] })).toBe(14);
  });

  it('holds an experiment variant’s payload to the same limit', () => {
    const variant = { key: 'b', name: 'B', weight: 5000, payload: 'y'.repeat(MAX_JSON_VALUE_BYTES) };
    expect(variantSchema.safeParse(variant).error?.issues[0]?.message).toMatch(
      /variant’s payload may hold at most 32768 bytes/,
    );
  });

  it('takes a segment of 10 000 included plus 10 000 excluded ids, refuses more ids or ids over 256 characters', () => {
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const segment = { key: 's', name: 'S', included: ids('in', 10_000), excluded: ids('out', 10_000) };
    expect(segmentInputSchema.safeParse(segment).success).toBe(true);
    expect(segmentInputSchema.safeParse({ ...segment, included: ids('in', 10_001) }).success).toBe(false);
    const long = segmentInputSchema.safeParse({ ...segment, excluded: ['u'.repeat(257)] });
    expect(long.error?.issues[0]?.path).toEqual(['excluded', 0]);
  });

  it('refuses a resource over 1 MiB of JSON with 400 naming the limit, and takes one of exactly 1 MiB', () => {
    const document = { key: 'big', name: '' };
    const fill = MAX_RESOURCE_BYTES - jsonBytes(document);
    expect(() => checkResourceSize('segment', 'big', { ...document, name: 'n'.repeat(fill) })).not.toThrow();
    const over = () => checkResourceSize('segment', 'big', { ...document, name: 'n'.repeat(fill + 1) });
    expect(over).toThrow(ValidationError);
    expect(over).toThrow(
      'segment big would be 1048577 bytes of JSON; a segment may hold at most 1048576 bytes (1 MiB) ' +
        '(e.g. 10 000 included plus 10 000 excluded ids of 43 characters)',
    );
    expect(() => checkResourceSize('flag', 'f', { name: 'n'.repeat(MAX_RESOURCE_BYTES) })).toThrow(
      /^flag f would be \d+ bytes of JSON; a flag may hold at most 1048576 bytes \(1 MiB\)$/,
    );
  });
});

describe('parts cut by UTF-8 bytes', () => {
  it('never cuts inside a character, and joins back to the text', () => {
    const text = 'aé€😀'.repeat(1000); // 1, 2, 3 and 4 bytes
    for (const size of [4, 5, 7, 300]) {
      const parts = splitUtf8(text, size);
      for (const part of parts) {
        expect(utf8Bytes(part)).toBeLessThanOrEqual(size);
        expect(part).not.toMatch(/\uFFFD/);
      }
      expect(joinParts(parts.map((data, index) => ({ index, data })).reverse())).toBe(text);
    }
    expect(splitUtf8('')).toEqual([]);
    expect(() => splitUtf8('abc', 3)).toThrow(RangeError);
  });
});

describe('list pages of large segments', () => {
  const segment = (key: string, ids: number): Segment => ({
    key,
    name: key,
    description: '',
    tags: [],
    included: Array.from({ length: ids }, (_, i) => `unit-${i}`),
    excluded: ['x'],
    createdBy: 'a',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  });

  it('keeps segments whole within the budget and leaves the lists of later ones out, saying so', () => {
    const [a, b, c, d] = [segment('a', 100), segment('b', 100), segment('c', 50), segment('d', 1)];
    const { included: _i, excluded: _e, ...rest } = c;
    const size = (value: unknown) => JSON.stringify(value).length;
    const budget = size(a) + size(b) + size(rest) + size(d);
    const page = withinBudget([a, b, c, d], budget);
    expect(page.slice(0, 2)).toEqual([a, b]);
    expect(page[2]).toEqual({ ...rest, listsOmitted: true, includedCount: 50, excludedCount: 1 });
    // A later, smaller one that still fits comes whole.
    expect(page[3]).toEqual(d);
    // The first always comes whole; the default budget (4 MiB) keeps a page of 20 small ones whole.
    expect(withinBudget([a], 1)).toEqual([a]);
    expect(withinBudget(Array.from({ length: 20 }, () => a))).toEqual(Array.from({ length: 20 }, () => a));
  });
});
