import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../db/keys';
import { logger } from '../observability';

/**
 * Evaluations counted per flag in memory and written at most once a minute per execution environment (one
 * UpdateItem per flag evaluated since the last flush): `lastEvaluatedAt` for stale-flag detection without a
 * DynamoDB write per request. The flush is not awaited by the request that triggers it.
 */
export class UsageRecorder {
  private counts = new Map<string, number>();
  private lastFlush: number;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastFlush = now();
  }

  record(flagKeys: Iterable<string>): void {
    for (const key of flagKeys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.flushing === null && this.now() - this.lastFlush >= this.intervalMs) {
      this.flushing = this.flush().finally(() => (this.flushing = null));
    }
  }

  async flush(): Promise<void> {
    const counts = this.counts;
    this.counts = new Map();
    this.lastFlush = this.now();
    const at = new Date(this.lastFlush).toISOString();
    await Promise.all(
      [...counts].map(async ([flagKey, n]) => {
        try {
          await this.doc.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: keys.analytics.flagUsage(flagKey),
              UpdateExpression: 'ADD evaluations :n SET lastEvaluatedAt = :at',
              ExpressionAttributeValues: { ':n': n, ':at': at },
            }),
          );
        } catch (error) {
          // Telemetry only: put the counts back for the next flush rather than fail anything.
          this.counts.set(flagKey, (this.counts.get(flagKey) ?? 0) + n);
          logger.warn('flag usage flush failed', { flagKey, error: (error as Error).message });
        }
      }),
    );
  }
}

/** lastEvaluatedAt per flag key, for the flags API's stale filter. */
export async function lastEvaluated(
  doc: DynamoDBDocumentClient,
  tableName: string,
  flagKeys: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < flagKeys.length; i += 100) {
    const batch = flagKeys.slice(i, i + 100);
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [tableName]: { Keys: batch.map((k) => keys.analytics.flagUsage(k)) },
    };
    for (let tries = 0; request !== undefined && Object.keys(request).length > 0 && tries < 5; tries++) {
      const out = await doc.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[tableName] ?? []) {
        const key = String(item.pk).slice('FLAGUSAGE#'.length);
        if (typeof item.lastEvaluatedAt === 'string') found.set(key, item.lastEvaluatedAt);
      }
      request = out.UnprocessedKeys as typeof request;
    }
  }
  return found;
}
