import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  paginateQuery,
  paginateScan,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '../db/keys';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import type { Ruleset } from '../rules';
import type { Segment } from '../segments/requests';
import { buildRulesetContent, contentHash, type RulesetConfiguration, type RulesetContent } from './document';

export interface RulesetPointer {
  readonly revision: number;
  readonly hash: string;
  readonly chunks: number;
  readonly publishedAt: string;
}

/** Items hold at most 400 KB: bodies are cut into chunks well under that. */
export const CHUNK_BYTES = 300 * 1024;

/**
 * Published rulesets in DynamoDB: revision N as chunks under `REVISION#N`, and the CURRENT pointer, moved
 * only forward and only by one publisher at a time (conditional write on the previous revision).
 */
export class RulesetRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly rulesetsTable: string,
    /** Needed to publish only; evaluation functions have no access to the configuration. */
    private readonly configTable?: string,
  ) {}

  async current(): Promise<RulesetPointer | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.rulesetsTable, Key: keys.rulesets.current, ConsistentRead: true }),
    );
    return (out.Item as RulesetPointer | undefined) ?? null;
  }

  /** The body of one revision, reassembled from its chunks. */
  async body(revision: number): Promise<string> {
    const parts: { sk: string; data: string }[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.rulesetsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.rulesets.revision(revision) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) parts.push(...((page.Items ?? []) as { sk: string; data: string }[]));
    if (parts.length === 0) throw new Error(`Ruleset revision ${revision} has no chunks`);
    return parts
      .sort((a, b) => (a.sk < b.sk ? -1 : 1))
      .map((p) => p.data)
      .join('');
  }

  /** The configuration as it is now: a strongly consistent read of the base table, not of an index. */
  async configuration(): Promise<RulesetConfiguration> {
    if (this.configTable === undefined) throw new Error('This function cannot read the configuration');
    const flags: Flag[] = [];
    const segments: Segment[] = [];
    const experiments: Experiment[] = [];
    const layers: Layer[] = [];
    const pages = paginateScan({ client: this.doc }, { TableName: this.configTable, ConsistentRead: true });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const pk = String(item.pk);
        if (pk.startsWith('FLAG#')) flags.push(item as unknown as Flag);
        else if (pk.startsWith('SEGMENT#')) segments.push(item as unknown as Segment);
        else if (pk.startsWith('EXPERIMENT#')) experiments.push(item as unknown as Experiment);
        else if (pk.startsWith('LAYER#')) layers.push(item as unknown as Layer);
      }
    }
    return { flags, segments, experiments, layers };
  }

  /**
   * Publish the configuration as the next revision unless the current one already has the same content.
   * Safe to run twice and concurrently: the loser of a race re-reads and finds nothing to do.
   */
  async publishIfChanged(
    now: Date = new Date(),
  ): Promise<{ published: boolean; ruleset: Ruleset; pointer: RulesetPointer }> {
    for (let attempt = 0; ; attempt++) {
      const content = buildRulesetContent(await this.configuration());
      const hash = contentHash(content);
      const current = await this.current();
      if (current !== null && current.hash === hash) {
        return { published: false, ruleset: { revision: current.revision, ...content }, pointer: current };
      }
      const revision = (current?.revision ?? 0) + 1;
      try {
        const pointer = await this.write(revision, hash, content, current, now);
        return { published: true, ruleset: { revision, ...content }, pointer };
      } catch (error) {
        const lostRace = error instanceof TransactionCanceledException;
        if (!lostRace || attempt >= 4) throw error;
      }
    }
  }

  private async write(
    revision: number,
    hash: string,
    content: RulesetContent,
    previous: RulesetPointer | null,
    now: Date,
  ): Promise<RulesetPointer> {
    const body = JSON.stringify({ revision, ...content });
    const chunks = chunkString(body, CHUNK_BYTES / 4);
    const items = chunks.map((data, i) => ({
      PutRequest: { Item: { pk: keys.rulesets.revision(revision), sk: keys.rulesets.chunk(i), data } },
    }));
    for (let i = 0; i < items.length; i += 25) {
      let pending: typeof items | undefined = items.slice(i, i + 25);
      for (let tries = 0; pending !== undefined && pending.length > 0; tries++) {
        if (tries > 5) throw new Error('DynamoDB kept chunks of the ruleset unprocessed');
        const out = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.rulesetsTable]: pending } }),
        );
        pending = out.UnprocessedItems?.[this.rulesetsTable] as typeof items | undefined;
      }
    }
    const pointer: RulesetPointer = { revision, hash, chunks: chunks.length, publishedAt: now.toISOString() };
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.rulesetsTable,
              Item: { ...keys.rulesets.current, ...pointer },
              ConditionExpression: previous === null ? 'attribute_not_exists(pk)' : 'revision = :previous',
              ...(previous === null ? {} : { ExpressionAttributeValues: { ':previous': previous.revision } }),
            },
          },
        ],
      }),
    );
    return pointer;
  }
}

/**
 * Cut `text` into pieces of at most `size` UTF-16 units (≤ 3 UTF-8 bytes each, 4 for a pair), never
 * between the two halves of a surrogate pair, which DynamoDB could not store as UTF-8.
 */
export function chunkString(text: string, size: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
