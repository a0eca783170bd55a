import {
  BatchWriteCommand,
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { RulesetContent } from '../../shared/rulesets/document';
import { chunkString, RulesetRepository } from '../../shared/rulesets/repository';

/** Before issue 17 goal 1 (bench only): whole documents in chunks under REVISION#N, in a table of their own. */
const keys = {
  rulesets: {
    current: { pk: 'CURRENT', sk: 'CURRENT' },
    revision: (revision: number) => `REVISION#${String(revision).padStart(12, '0')}`,
    chunk: (index: number) => `CHUNK#${String(index).padStart(4, '0')}`,
  },
};

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
export class LegacyRulesetRepository {
  /** What the last write stored: its chunk items' data (UTF-8 bytes of the whole body), and how many. */
  lastWrite: { readonly revision: number; readonly bytes: number; readonly chunks: number } | null = null;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly rulesetsTable: string,
  ) {}

  async current(): Promise<RulesetPointer | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.rulesetsTable, Key: keys.rulesets.current, ConsistentRead: true }),
    );
    return (out.Item as RulesetPointer | undefined) ?? null;
  }

  /** The body of one revision, reassembled from its chunks (the reader the instances keep for this layout). */
  body(revision: number): Promise<string> {
    return new RulesetRepository(this.doc, this.rulesetsTable).wholeDocument(revision);
  }

  /**
   * Store `content` as revision `revision` and move the CURRENT pointer to it, on condition that it still
   * points at `previous`: concurrent publishers agree on one revision (the loser's transaction is cancelled).
   */
  async write(
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
    this.lastWrite = {
      revision,
      bytes: chunks.reduce((sum, data) => sum + Buffer.byteLength(data), 0),
      chunks: chunks.length,
    };
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
