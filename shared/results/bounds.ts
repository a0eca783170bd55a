import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { keys } from '../db/keys';
import { logger } from '../observability';

/**
 * The running bounds of an experiment's always-valid figures (SPEC §2.5 "Decisions"; issue 15). An always-valid
 * p-value's guarantee is about its running minimum over every look, a confidence sequence's about the running
 * intersection of its intervals: recomputed from the aggregates at each read, the current values could rise
 * again (a read could make a verdict worse). So every read merges what it computed into the stored bounds —
 * minimum of the p-values, intersection of the intervals — and shows the merged ones.
 *
 * Merging is a join (commutative, associative, idempotent): reads racing each other each retry on a version
 * that moved and merge again, so no read's tighter bound is ever lost, whatever the interleaving.
 */
export interface RunningBound {
  /** Running minimum of the two-sided always-valid p-value. */
  readonly p: number;
  /** The sign of the effect (−1, 0, 1) at the look that set `p`: the direction a rejection is about. */
  readonly s: number;
  /** Running minimum of the one-sided always-valid p-value for harm (the metric moving the bad way). */
  readonly h: number;
  /** Running intersection of the confidence sequences of the absolute effect; lo > hi when it is empty. */
  readonly lo: number;
  readonly hi: number;
  /** Whether some read's own confidence sequence lay wholly above 0 (`up`), wholly below (`down`). */
  readonly up: boolean;
  readonly down: boolean;
}

/** Per `boundKey(mode, metric, variant)`. */
export type RunningBounds = Readonly<Record<string, RunningBound>>;

export interface StoredBounds {
  /** 0: nothing stored yet. */
  readonly version: number;
  readonly bounds: RunningBounds;
}

/** Figures computed with and without CUPED are different statistics: each keeps its own bound. */
export function boundKey(mode: 'plain' | 'cuped', metricKey: string, variant: string): string {
  return `${mode}/${metricKey}/${variant}`;
}

export function tightenBound(stored: RunningBound | undefined, look: RunningBound): RunningBound {
  if (stored === undefined) return look;
  return {
    p: Math.min(stored.p, look.p),
    s: look.p < stored.p ? look.s : stored.s,
    h: Math.min(stored.h, look.h),
    lo: Math.max(stored.lo, look.lo),
    hi: Math.min(stored.hi, look.hi),
    up: stored.up || look.up,
    down: stored.down || look.down,
  };
}

/** The stored bounds with every look merged in; `changed` when a figure moved. */
export function mergeBounds(
  stored: RunningBounds,
  looks: RunningBounds,
): { bounds: RunningBounds; changed: boolean } {
  const bounds: Record<string, RunningBound> = { ...stored };
  let changed = false;
  for (const [key, look] of Object.entries(looks)) {
    const merged = tightenBound(stored[key], look);
    const before = stored[key];
    if (
      before === undefined ||
      merged.p !== before.p ||
      merged.h !== before.h ||
      merged.lo !== before.lo ||
      merged.hi !== before.hi ||
      merged.up !== before.up ||
      merged.down !== before.down
    ) {
      changed = true;
    }
    bounds[key] = merged;
  }
  return { bounds, changed };
}

/** Where the bounds live: read, and a write that succeeds only on the version read. */
export interface BoundStore {
  read(experimentKey: string): Promise<StoredBounds>;
  /** false when the stored version is no longer `expectedVersion` (another read wrote first). */
  write(experimentKey: string, bounds: RunningBounds, expectedVersion: number): Promise<boolean>;
}

const MAX_ATTEMPTS = 5;

/**
 * Merges `looks` into the stored bounds and persists them (optimistic concurrency, merged again on a lost race).
 * Returns what a read may show: the merged bounds when they are stored (or nothing changed), else — when the
 * write keeps failing — the last stored ones, so that no figure shown was tighter than what is kept, and a
 * later read cannot show a worse one. `persist: false` (a draft) merges without writing.
 */
export async function tightenStoredBounds(
  store: BoundStore,
  experimentKey: string,
  first: StoredBounds,
  looks: RunningBounds,
  persist: boolean,
): Promise<RunningBounds> {
  let current = first;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { bounds, changed } = mergeBounds(current.bounds, looks);
    if (!changed || !persist) return bounds;
    try {
      if (await store.write(experimentKey, bounds, current.version)) return bounds;
    } catch (error) {
      logger.warn('running bounds not stored; showing the stored ones', {
        experimentKey,
        error: (error as Error).message,
      });
      return current.bounds;
    }
    current = await store.read(experimentKey);
  }
  logger.warn('running bounds not stored after repeated races; showing the stored ones', { experimentKey });
  return current.bounds;
}

/**
 * The bounds in the analytics table, one item per experiment in a partition of its own (`BOUNDS#EXP#<key>`),
 * so that the experiments function may write these items and no aggregate: its IAM grant is PutItem with
 * `dynamodb:LeadingKeys` limited to `BOUNDS#*` (SwitchyardFunction.keepsResultBounds). The bounds are one JSON
 * attribute (a few hundred bytes per metric and arm).
 */
export class DynamoBoundStore implements BoundStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(experimentKey: string): Promise<StoredBounds> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: keyOf(experimentKey),
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (item?.b?.S === undefined || item.version?.N === undefined) return { version: 0, bounds: {} };
    return { version: Number(item.version.N), bounds: JSON.parse(item.b.S) as RunningBounds };
  }

  async write(experimentKey: string, bounds: RunningBounds, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(experimentKey),
            version: { N: String(expectedVersion + 1) },
            b: { S: JSON.stringify(bounds) },
            updatedAt: { S: new Date().toISOString() },
          },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

function keyOf(experimentKey: string) {
  const { pk, sk } = keys.analytics.experimentBounds(experimentKey);
  return { pk: { S: pk }, sk: { S: sk } };
}
