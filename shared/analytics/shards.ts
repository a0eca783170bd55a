/**
 * Aggregate shards (docs/architecture.md, "Hot experiments"). A DynamoDB partition takes about 1 000 write
 * units a second, and every aggregate of one experiment used to sit in one partition: one popular experiment
 * throttled the pipeline. An experiment's aggregates are now written across AGGREGATE_SHARDS partitions
 * (`AGG#EXP#<key>#<shard>`), the shard chosen from the unit id, and merged on read. A flag's error/latency
 * minutes and unit cells are not (store.ts `commit`: the safety monitor reads them every minute).
 *
 * - **From the unit id, deterministically**: a unit's contributions always go to the same shard, so what it
 *   added earlier (its state's `applied`) is taken off where it was added, and each shard item holds exactly
 *   the sums over its own units — a unit-hour cell's squares included.
 * - **Fixed, the same for every experiment and flag**: the reader needs no per-experiment setting and no
 *   record of past settings to know which partitions to read, and an experiment that becomes popular needs no
 *   migration. It costs the results read AGGREGATE_SHARDS + 1 Queries (in parallel, a few items each) and a
 *   sparse batch up to one set of item writes per shard it touches.
 * - **May grow, never shrink**: readers read shards 0…AGGREGATE_SHARDS − 1 and the unsharded partition (items
 *   written before sharding, or with `shards: 1`); a smaller number would leave items unread.
 */
export const AGGREGATE_SHARDS = 16;

/**
 * The shard of a unit's aggregate contributions: FNV-1a of its id (UTF-16 code units) modulo `shards`;
 * undefined when `shards` is 1 (the unsharded layout, as before sharding).
 */
export function shardOf(unitId: string, shards: number = AGGREGATE_SHARDS): number | undefined {
  if (shards <= 1) return undefined;
  let hash = 0x811c9dc5;
  for (let i = 0; i < unitId.length; i++) {
    hash ^= unitId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** The shards a reader reads: the unsharded partition (undefined) and, when sharded, 0…shards − 1. */
export function shardsToRead(shards: number = AGGREGATE_SHARDS): (number | undefined)[] {
  return [undefined, ...Array.from({ length: shards > 1 ? shards : 0 }, (_, i) => i)];
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact sum of DynamoDB numbers (decimal strings, as DynamoDB adds them), as a decimal string: merging
 * shards adds nothing to the rounding of reading one item, so a sum read from N shards is the same double as
 * the same sum read from one item.
 */
export function sumDecimals(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  let total = 0n;
  let exponent = 0;
  for (const value of values) {
    const match = DECIMAL.exec(value.trim());
    if (match === null) throw new RangeError(`not a DynamoDB number: ${JSON.stringify(value)}`);
    const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
    let mantissa = BigInt(`${whole}${fraction}` || '0');
    if (sign === '-') mantissa = -mantissa;
    const e = Number(exp) - fraction.length;
    if (e < exponent) {
      total *= 10n ** BigInt(exponent - e);
      exponent = e;
    } else if (e > exponent) mantissa *= 10n ** BigInt(e - exponent);
    total += mantissa;
  }
  return `${total}e${exponent}`;
}
