import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  paginateQuery,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../audit/repository';
import { keys } from '../db/keys';
import type { ApiKey } from './schema';

/** A key as stored: its view plus the SHA-256 hex of the secret (never returned by the API). */
export interface ApiKeyRecord extends ApiKey {
  readonly secretHash: string;
}

/**
 * The attributes the authorizer's `touch` may write, key attributes included. The CDK grant of the
 * authorizer function is narrowed to exactly these (lib/constructs/switchyard-function.ts
 * `verifiesApiKeys`), so it can record use but never un-revoke or rename a key.
 */
export const TOUCH_ATTRIBUTES = ['pk', 'sk', 'lastUsedAt'] as const;

/**
 * API keys in the apiKeys table: one item per key under `HASH#<sha256 hex>` (what the authorizer reads), and
 * gsi1 (`APIKEYS` / id) to find a key by id and list them. `lastUsedAt` and `revokedAt` are absent until set,
 * so conditions can test them with `attribute_not_exists`.
 */
export class ApiKeyRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(hash: string) {
    return { pk: keys.apiKeys.hash(hash), sk: keys.apiKeys.meta };
  }

  /** The Put that stores a new key; goes into the transaction with its audit entry. */
  createPut(record: ApiKeyRecord): TransactItem {
    const { lastUsedAt, revokedAt, ...fields } = record;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...this.key(record.secretHash),
          gsi1pk: keys.apiKeys.all,
          gsi1sk: record.id,
          ...fields,
          ...(lastUsedAt === null ? {} : { lastUsedAt }),
          ...(revokedAt === null ? {} : { revokedAt }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The Update that revokes a key, refused (ConditionalCheckFailed) if it is gone or already revoked. */
  revokeUpdate(record: ApiKeyRecord, revokedAt: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: this.key(record.secretHash),
        UpdateExpression: 'SET revokedAt = :revokedAt',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':revokedAt': revokedAt },
      },
    };
  }

  /** The key whose secret hashes to `hash` (strongly consistent: a revocation is seen at once). */
  async byHash(hash: string): Promise<ApiKeyRecord | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(hash), ConsistentRead: true }),
    );
    return out.Item === undefined ? null : toRecord(out.Item);
  }

  async byId(id: string): Promise<ApiKeyRecord | null> {
    const [record] = await this.query({
      KeyConditionExpression: 'gsi1pk = :all AND gsi1sk = :id',
      ExpressionAttributeValues: { ':all': keys.apiKeys.all, ':id': id },
    });
    return record ?? null;
  }

  /** Every key, newest first (ids are time-ordered). */
  async list(): Promise<ApiKeyRecord[]> {
    return this.query({
      KeyConditionExpression: 'gsi1pk = :all',
      ExpressionAttributeValues: { ':all': keys.apiKeys.all },
      ScanIndexForward: false,
    });
  }

  /**
   * Set `lastUsedAt = now` only if it is absent or older than `staleBefore`: a conditional UpdateItem, so
   * concurrent authorizers write at most once per interval. False when the condition (or the key) says no.
   */
  async touch(hash: string, now: string, staleBefore: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(hash),
          UpdateExpression: 'SET lastUsedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :staleBefore)',
          ExpressionAttributeValues: { ':now': now, ':staleBefore': staleBefore },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async query(input: Omit<QueryCommandInput, 'TableName' | 'IndexName'>): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      { TableName: this.tableName, IndexName: 'gsi1', ...input },
    );
    for await (const page of pages) for (const item of page.Items ?? []) records.push(toRecord(item));
    return records;
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, lastUsedAt, revokedAt, ...rest } = item;
  return {
    ...(rest as Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>),
    lastUsedAt: typeof lastUsedAt === 'string' ? lastUsedAt : null,
    revokedAt: typeof revokedAt === 'string' ? revokedAt : null,
  };
}
