import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditRecord, type ChangeContext } from '../audit/actor';
import type { AuditRepository, TransactItem } from '../audit/repository';
import { keys, type ConfigKind } from '../db/keys';
import { ConflictError, NotFoundError } from '../errors';
import {
  checkVersion,
  deleteVersion,
  firstVersion,
  nextVersion,
  type ServerManaged,
  type Versioned,
  type VersionedChange,
} from './versioning';

/** Read access to one kind of configuration resource (the event processor and results need no more). */
export class ConfigReader<T extends Versioned> {
  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    protected readonly tableName: string,
    readonly kind: ConfigKind,
  ) {}

  protected key(key: string) {
    return { pk: keys.config.resource(this.kind, key), sk: keys.config.meta };
  }

  async get(key: string): Promise<T | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }),
    );
    return out.Item === undefined ? null : strip<T>(out.Item);
  }

  /** The stored resource, or 404. */
  async require(key: string): Promise<T> {
    const item = await this.get(key);
    if (item === null) throw new NotFoundError(`No ${this.kind} ${key}`);
    return item;
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
}

/**
 * Flags, segments, experiments, layers, metrics… one item each in the config table, every write
 * conditional (create: the key is free; update/delete: the version is the one the caller read) and
 * committed in one transaction with its audit entry (`<kind>.<action>`). The table's stream then feeds the
 * ruleset publisher.
 */
export class ConfigRepository<T extends Versioned> extends ConfigReader<T> {
  constructor(
    doc: DynamoDBDocumentClient,
    tableName: string,
    private readonly audit: AuditRepository,
    kind: ConfigKind,
  ) {
    super(doc, tableName, kind);
  }

  /** The stored resource a change is based on: 404 if there is none, 409 if the change's version is stale. */
  async forChange(key: string, change: VersionedChange): Promise<T> {
    return checkVersion(this.kind, await this.require(key), change);
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

  /** Store `document` as version 1, created by the change's actor. */
  async create(document: Omit<T, ServerManaged>, context: ChangeContext, now?: Date): Promise<T> {
    const item = firstVersion(document, context, now) as T;
    await this.run(
      this.put(item, 'attribute_not_exists(pk)'),
      auditRecord(context, `${this.kind}.create`, this.resource(item.key), null, item),
      `A ${this.kind} with key ${item.key} already exists`,
    );
    return item;
  }

  /**
   * Store `document` as the next version of `before` (the whole resource: a field it lacks is gone), if the
   * stored version is still `before.version`; audited as `<kind>.<action>`.
   */
  async replace(
    before: T,
    document: Omit<T, ServerManaged>,
    context: ChangeContext,
    action = 'update',
    now?: Date,
  ): Promise<T> {
    const after = nextVersion(before, document, now);
    await this.run(
      this.put(after, 'attribute_exists(pk) AND version = :expected', { ':expected': before.version }),
      auditRecord(context, `${this.kind}.${action}`, this.resource(after.key), before, after),
      `${this.kind} ${after.key} was changed by someone else (your version ${before.version} is stale): read it again`,
    );
    return after;
  }

  /** Delete `stored` at the version the change names (or the stored one when it names none). */
  async remove(stored: T, change: VersionedChange): Promise<void> {
    const version = deleteVersion(this.kind, stored, change);
    await this.run(
      {
        Delete: {
          TableName: this.tableName,
          Key: this.key(stored.key),
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: { ':expected': version },
        },
      },
      auditRecord(change.context, `${this.kind}.delete`, this.resource(stored.key), stored, null),
      `${this.kind} ${stored.key} was changed by someone else (version ${version} is stale): read it again`,
    );
  }

  private resource(key: string) {
    return { kind: this.kind, key };
  }

  private async run(change: TransactItem, record: ReturnType<typeof auditRecord>, conflict: string) {
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

/** Every resource in the config table by kind, from one strongly consistent Scan of the base table. */
export async function scanConfiguration(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<Map<ConfigKind, Versioned[]>> {
  const byKind = new Map<ConfigKind, Versioned[]>();
  const pages = paginateScan({ client: doc }, { TableName: tableName, ConsistentRead: true });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const kind = keys.config.kindOf(String(item.pk));
      if (kind === undefined) continue;
      const list = byKind.get(kind) ?? [];
      list.push(strip<Versioned>(item));
      byKind.set(kind, list);
    }
  }
  return byKind;
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, ...rest } = item;
  return rest as T;
}
