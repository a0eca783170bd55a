/**
 * Fixed log-bucket histograms, so percentiles (duration_p95, the safety monitor's p95 latency) can be read
 * off aggregates that are only ever added to. Bucket `i ≥ 1` holds values in [2^((i − 161)/16), 2^((i − 160)/16)):
 * each bucket is 4.4 % wide, so a percentile read at a bucket's geometric middle is within 2.2 % of the exact
 * one. Values below 2^-10 (≈ 0.001: a microsecond, in ms) and non-positive ones share bucket 0, read as 0.
 * Buckets are DynamoDB attributes of their own (`h<i>`) because `ADD` works on top-level attributes only.
 * 1 ms lands in h161, 1 s in h320, an hour in h509: an item holds the few hundred buckets real data touches.
 */
export const BUCKETS_PER_DOUBLING = 16;
const OFFSET = 10 * BUCKETS_PER_DOUBLING;
const SMALLEST = 2 ** -10;

/** The attribute prefix of histogram buckets in aggregate items. */
export const BUCKET_PREFIX = 'h';

export function bucketOf(value: number): number {
  if (!(value >= SMALLEST)) return 0;
  return Math.max(1, Math.floor(Math.log2(value) * BUCKETS_PER_DOUBLING) + OFFSET + 1);
}

/** The value a bucket stands for: the geometric middle of its range (0 for bucket 0). */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0;
  return 2 ** ((bucket - OFFSET - 0.5) / BUCKETS_PER_DOUBLING);
}

export function bucketAttribute(bucket: number): string {
  return `${BUCKET_PREFIX}${bucket}`;
}

/** The bucket of an attribute name (`h160` → 160), or null for any other attribute. */
export function attributeBucket(name: string): number | null {
  const match = /^h(\d+)$/.exec(name);
  return match === null ? null : Number(match[1]);
}

/**
 * The q-quantile (0 < q ≤ 1) of a histogram {bucket → count}: the smallest bucket whose cumulative count
 * reaches q × total (the nearest-rank definition), read at its middle. null when empty.
 */
export function histogramQuantile(histogram: Readonly<Record<number, number>>, q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => [Number(bucket), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketValue(bucket);
  }
  return bucketValue(buckets.at(-1)![0]);
}

/** The value range [lower, upper) of a coarse bucket, and the value it is read as. Bucket 0: [0, 2^-10), read 0. */
export function bucketRange(bucket: number): { lower: number; upper: number; middle: number } {
  if (bucket <= 0) return { lower: 0, upper: SMALLEST, middle: 0 };
  return {
    lower: 2 ** ((bucket - OFFSET - 1) / BUCKETS_PER_DOUBLING),
    upper: 2 ** ((bucket - OFFSET) / BUCKETS_PER_DOUBLING),
    middle: bucketValue(bucket),
  };
}

/**
 * The fine histogram of experiment duration metrics: 8 buckets per coarse one, 128 per doubling, each 0.54 %
 * wide, so a quantile read at a bucket's geometric middle is within 2^(1/256) − 1 = 0.271 % of the exact
 * sample quantile (stats/quantile.ts explains why the bucket that holds it is known exactly). Fine bucket
 * `f ≥ 1` holds [2^((f − 1281)/128), 2^((f − 1280)/128)); values below 2^-10, non-positive ones included, are
 * bucket 0, read as 0. Its edges are the coarse ones refined, so fine counts sum into coarse buckets exactly.
 *
 * A duration can span 50 doublings, too many attributes for one item's update (DynamoDB expressions stop at
 * 4 KB), so the fine buckets live in one item per doubling (`FINE_BLOCK_SIZE` buckets, attributes q<f>), next
 * to the metric's item: a unit's events touch as many of them as doublings their values span.
 */
export const FINE_BUCKETS_PER_DOUBLING = 128;
const FINE_OFFSET = 10 * FINE_BUCKETS_PER_DOUBLING;
export const FINE_BLOCK_SIZE = 2 * FINE_BUCKETS_PER_DOUBLING;
export const FINE_PREFIX = 'q';
/** The largest relative distance between a fine quantile and the exact one: half a bucket, geometrically. */
export const FINE_RELATIVE_ERROR = 2 ** (1 / (2 * FINE_BUCKETS_PER_DOUBLING)) - 1;
/** The same for the coarse histogram (2.2 %). */
export const COARSE_RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1;

export function fineBucketOf(value: number): number {
  if (!(value >= SMALLEST)) return 0;
  return Math.max(1, Math.floor(Math.log2(value) * FINE_BUCKETS_PER_DOUBLING) + FINE_OFFSET + 1);
}

export function fineBucketRange(bucket: number): { lower: number; upper: number; middle: number } {
  if (bucket <= 0) return { lower: 0, upper: SMALLEST, middle: 0 };
  return {
    lower: 2 ** ((bucket - FINE_OFFSET - 1) / FINE_BUCKETS_PER_DOUBLING),
    upper: 2 ** ((bucket - FINE_OFFSET) / FINE_BUCKETS_PER_DOUBLING),
    middle: 2 ** ((bucket - FINE_OFFSET - 0.5) / FINE_BUCKETS_PER_DOUBLING),
  };
}

/** The item (block) that holds a fine bucket. */
export function fineBlockOf(bucket: number): number {
  return Math.floor(bucket / FINE_BLOCK_SIZE);
}

export function fineBucketAttribute(bucket: number): string {
  return `${FINE_PREFIX}${bucket}`;
}

/** The fine bucket of an attribute name (`q1280` → 1280), or null for any other attribute. */
export function fineAttributeBucket(name: string): number | null {
  const match = /^q(\d+)$/.exec(name);
  return match === null ? null : Number(match[1]);
}
