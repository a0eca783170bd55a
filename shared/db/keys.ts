/** The kinds of resource the config table holds, one item each. */
export const CONFIG_KINDS = [
  'flag',
  'segment',
  'experiment',
  'layer',
  'metric',
  'rollout',
  // Safety (shared/safety): the stage's settings (one item, key `global`) and per-flag configs (key = flag key).
  'safetySettings',
  'safetyConfig',
] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

const PART_PREFIX = 'PART#';

const configPrefixes = new Map(CONFIG_KINDS.map((kind) => [`${kind.toUpperCase()}#`, kind]));

/**
 * The partition key prefix of the results' running bounds in the analytics table: the only items the experiments
 * function may write there (an IAM condition on it, lib/constructs/switchyard-function.ts).
 */
export const RESULT_BOUNDS_PREFIX = 'BOUNDS#';

/** Partitions the ruleset's entries are spread over (a full load queries them in parallel). */
export const ENTRY_SHARDS = 16;

/** FNV-1a of the entry key, modulo ENTRY_SHARDS: stable across runtimes. */
function entryShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % ENTRY_SHARDS;
}

/** Every DynamoDB key Switchyard builds, in one place (shared/db/tables.ts says which table has which keys). */
export const keys = {
  config: {
    /** One item per resource: `FLAG#checkout`, `SEGMENT#beta-users`. */
    resource: (kind: ConfigKind, key: string) => `${kind.toUpperCase()}#${key}`,
    /** The kind of a config item's partition key; undefined for items that are no resource (safety rollbacks). */
    kindOf: (pk: string): ConfigKind | undefined => configPrefixes.get(pk.slice(0, pk.indexOf('#') + 1)),
    meta: 'META',
    /**
     * A resource too large for one item (shared/config/repository.ts) keeps its JSON in parts beside its META
     * item, in the same partition: part `index` of `version`. Parts carry no gsi1 key, so lists never see them.
     */
    part: (version: number, index: number) =>
      `${PART_PREFIX}${String(version).padStart(12, '0')}#${String(index).padStart(4, '0')}`,
    /** The sort-key prefix of every part of one version. */
    partsOf: (version: number) => `${PART_PREFIX}${String(version).padStart(12, '0')}#`,
    /** gsi1: every resource of one kind, ordered by key. */
    kind: (kind: ConfigKind) => `KIND#${kind}`,
    /** Safety rollback records: append-only, one partition (rollbacks are rare), sorted by time. */
    safetyRollbacks: 'SAFETY#ROLLBACKS',
    safetyRollback: (isoTimestamp: string, id: string) => `${isoTimestamp}#${id}`,
  },
  rulesets: {
    /** The pointer to the published revision. */
    current: { pk: 'CURRENT', sk: 'CURRENT' },
    /**
     * One entry of the published ruleset (a flag, segment, running experiment or used layer, in its wire form),
     * spread over ENTRY_SHARDS partitions so that a full load reads them in parallel.
     */
    entry: (kind: string, key: string) => ({
      pk: `ENTRIES#${String(entryShard(`${kind}#${key}`)).padStart(2, '0')}`,
      sk: `${kind}#${key}`,
    }),
    entryShard: (shard: number) => `ENTRIES#${String(shard).padStart(2, '0')}`,
    /** What one revision changed (entry keys), for instances catching up; expires. */
    deltas: 'DELTAS',
    delta: (revision: number) => String(revision).padStart(12, '0'),
    /**
     * A revision published before entries: the whole document in chunks (sk CHUNK#nnnn), read until the
     * publisher moves the pointer to entries.
     */
    wholeDocument: (revision: number) => `REVISION#${String(revision).padStart(12, '0')}`,
    /** The text of an entry too large to sit in its item, by content hash, in parts. */
    blob: (hash: string) => `BLOB#${hash}`,
    part: (index: number) => `PART#${String(index).padStart(4, '0')}`,
  },
  analytics: {
    /** Evaluation counts of one flag, flushed by the evaluation functions at most once a minute. */
    flagUsage: (flagKey: string) => ({ pk: `FLAGUSAGE#${flagKey}`, sk: 'TOTAL' }),
    /** What the event processor knows of one unit: its exposures and relevant events (shared/analytics). */
    unitState: (unitId: string) => ({ pk: `UNIT#${unitId}`, sk: 'STATE' }),
    /**
     * The aggregates of one experiment: in `AGG#EXP#<key>#<shard>` partitions (shard 0…AGGREGATE_SHARDS − 1,
     * shared/analytics/shards.ts, chosen from the unit id), and in the unsharded `AGG#EXP#<key>` written before
     * aggregates were sharded (shard undefined). Results read every one and add them up.
     */
    experiment: (experimentKey: string, shard?: number) =>
      shard === undefined ? `AGG#EXP#${experimentKey}` : `AGG#EXP#${experimentKey}#${shard}`,
    /** One variant × metric; metric keys never start with `$`, so `$units` (exposed units) cannot collide. */
    experimentMetric: (variant: string, metricKey: string) => `${variant}#${metricKey}`,
    experimentUnits: (variant: string) => `${variant}#$units`,
    /**
     * The running bounds of an experiment's always-valid figures (shared/results/bounds.ts), written by the
     * results reads: in a partition of its own, so that an IAM condition on the partition key (`BOUNDS#*`) lets
     * the experiments function write these items and no aggregate.
     */
    experimentBounds: (experimentKey: string) => ({
      pk: `${RESULT_BOUNDS_PREFIX}EXP#${experimentKey}`,
      sk: 'SEQUENTIAL',
    }),
    /**
     * Error and latency aggregates of one flag, sharded as the experiments' are: per variation and UTC minute (`2026-01-01T12:34Z`), and the
     * per-unit cells per variation and UTC hour (`2026-01-01T12Z`). Variations start with a letter or digit
     * and never contain `#`, so `$units#…` cannot be a minute item, and `<variation>#` prefixes only that
     * variation's minutes: each reads as one `sk BETWEEN` range.
     */
    flagSafety: (flagKey: string, shard?: number) =>
      shard === undefined ? `AGG#FLAG#${flagKey}` : `AGG#FLAG#${flagKey}#${shard}`,
    flagSafetyMinute: (variation: string, minute: string) => `${variation}#${minute}`,
    flagUnitCell: (variation: string, hour: string) => `$units#${variation}#${hour}`,
  },
  apiKeys: {
    /** One item per key, addressed by the SHA-256 hex of its secret: the authorizer's one GetItem. */
    hash: (sha256Hex: string) => `HASH#${sha256Hex}`,
    meta: 'KEY',
    /** gsi1: every key in one partition (keys are few), sorted by their time-ordered id. */
    all: 'APIKEYS',
  },
  audit: {
    /** One partition per resource: its history in time order. */
    resource: (kind: string, key: string) => `RESOURCE#${kind}#${key}`,
    /** gsi1: everything one actor did. */
    actor: (actor: string) => `ACTOR#${actor}`,
    /** gsi2: everything that happened on one UTC day (time-range queries walk the days). */
    day: (isoTimestamp: string) => `DAY#${isoTimestamp.slice(0, 10)}`,
    /** Sort key shared by the table and both indexes: time first, then a unique id. */
    sort: (isoTimestamp: string, id: string) => `${isoTimestamp}#${id}`,
    /**
     * An entry whose before/after is too large for its item keeps them beside it, in a partition of their own
     * (so no query of entries ever reads them): part `index` of entry `id`.
     */
    body: (id: string) => `AUDITBODY#${id}`,
    bodyPart: (index: number) => `${PART_PREFIX}${String(index).padStart(4, '0')}`,
  },
} as const;
