import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../audit/schema';
import type { AuditRepository, TransactItem } from '../audit/repository';
import { keys } from '../db/keys';
import { ConflictError } from '../errors';

/** What every configuration resource carries (SPEC §2). */
export interface Versioned {
  readonly key: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/**
 * Flags, segments, experiments, layers, metrics… one item each in the config table, every write
 * conditional (create: the key is free; update/delete: the version is the one the caller read) and
 * committed in one transaction with its audit entry. The table's stream then feeds the ruleset publisher.
 */
export class ConfigRepository<T extends Versioned> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly audit: AuditRepository,
    readonly kind: string,
  ) {}

  private key(key: string) {
    return { pk: keys.config.resource(this.kind, key), sk: keys.config.meta };
  }

  async get(key: string): Promise<T | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }),
    );
    return out.Item === undefined ? null : strip<T>(out.Item);
  }

  /** Every resource of this kind, by key. */
  async list(): Promise<T[]> {
    const items: T[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :kind',
        ExpressionAttributeValues: { ':kind': keys.config.kind(this.kind) },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) items.push(strip<T>(item));
    return items;
  }

  private put(item: T, condition: string, values?: Record<string, unknown>): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...this.key(item.key), gsi1pk: keys.config.kind(this.kind), gsi1sk: item.key, ...item },
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      },
    };
  }

  async create(item: T, record: AuditRecord): Promise<T> {
    await this.run(
      this.put(item, 'attribute_not_exists(pk)'),
      record,
      `A ${this.kind} with key ${item.key} already exists`,
    );
    return item;
  }

  /** Replace `item` if the stored version is still `item.version - 1`. */
  async replace(item: T, record: AuditRecord): Promise<T> {
    await this.run(
      this.put(item, 'attribute_exists(pk) AND version = :expected', { ':expected': item.version - 1 }),
      record,
      `${this.kind} ${item.key} was changed by someone else (your version ${item.version - 1} is stale): read it again`,
    );
    return item;
  }

  async remove(key: string, version: number, record: AuditRecord): Promise<void> {
    await this.run(
      {
        Delete: {
          TableName: this.tableName,
          Key: this.key(key),
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: { ':expected': version },
        },
      },
      record,
      `${this.kind} ${key} was changed by someone else (version ${version} is stale): read it again`,
    );
  }

  private async run(change: TransactItem, record: AuditRecord, conflict: string): Promise<void> {
    try {
      await this.audit.commit([change], record);
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        throw new ConflictError(conflict);
      }
      throw error;
    }
  }
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, ...rest } = item;
  return rest as T;
}
