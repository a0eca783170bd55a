import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditRecord, type ChangeContext } from '../audit/actor';
import type { AuditRepository, TransactItem } from '../audit/repository';
import { keys, type ConfigKind } from '../db/keys';
import { INLINE_BYTES, joinParts, splitUtf8, utf8Bytes } from '../db/parts';
import { ConflictError, NotFoundError } from '../errors';
import { checkResourceSize } from './limits';
import {
  checkVersion,
  deleteVersion,
  firstVersion,
  nextVersion,
  type ServerManaged,
  type Versioned,
  type VersionedChange,
} from './versioning';

/**
 * How many parts hold each resource this module has read or written (0: inline). A change to a resource stored
 * in parts deletes the parts of the version it replaces; this saves reading them again to know how many.
 */
const partCounts = new WeakMap<object, number>();

function remember<T extends object>(resource: T, parts: number): T {
  partCounts.set(resource, parts);
  return resource;
}

/** Reads of one resource stored in parts retry this often when a change replaces the parts under them. */
const TORN_READ_ATTEMPTS = 5;

/**
 * Read access to one kind of configuration resource (the event processor and results need no more).
 *
 * Storage: a resource is one item (`META`) when its JSON fits in {@link INLINE_BYTES}; a larger one (a segment
 * of thousands of ids, a flag with large JSON variations) keeps only its versioned fields and `parts: n` in
 * META, and its JSON in n part items of that version beside it (`PART#<version>#<i>`, same partition). Both are
 * written in one transaction, so a reader that finds the parts of another version read between two changes and
 * simply reads again.
 */
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
    for (let attempt = 1; ; attempt++) {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }),
      );
      if (out.Item === undefined) return null;
      const resource = await assemble<T>(this.doc, this.tableName, out.Item);
      if (resource !== null) return resource;
      if (attempt >= TORN_READ_ATTEMPTS) {
        throw new Error(`${this.kind} ${key}: its parts kept changing during ${attempt} reads`);
      }
    }
  }

  /** The stored resource, or 404. */
  async require(key: string): Promise<T> {
    const item = await this.get(key);
    if (item === null) throw new NotFoundError(`No ${this.kind} ${key}`);
    return item;
  }

  /**
   * The keys of every resource of this kind, from the index alone: what a reference check needs, without
   * reading resources stored in parts.
   */
  async keys(): Promise<string[]> {
    const out: string[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :kind',
        ExpressionAttributeValues: { ':kind': keys.config.kind(this.kind) },
        ProjectionExpression: 'gsi1sk',
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) out.push(String(item.gsi1sk));
    return out;
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
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (!storedInParts(item)) items.push(remember(strip<T>(item), 0));
        else {
          // The index is eventually consistent: read the resource itself (gone meanwhile: left out).
          const resource = await this.get(String(item.key));
          if (resource !== null) items.push(resource);
        }
      }
    }
    return items;
  }
}

function storedInParts(item: Record<string, unknown>): item is Record<string, unknown> & { parts: number } {
  return typeof item.parts === 'number' && item.parts > 0;
}

/**
 * The resource of a META item: the item itself when inline; else its version's parts, read and joined — or
 * null when they are not all there (a change replaced them after META was read: read again).
 */
async function assemble<T extends Versioned>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  known?: readonly { index: number; data: string }[],
): Promise<T | null> {
  if (!storedInParts(item)) return remember(strip<T>(item), 0);
  const parts = known ?? (await readParts(doc, tableName, String(item.pk), Number(item.version)));
  if (parts.length !== item.parts) return null;
  const resource = JSON.parse(joinParts(parts)) as T;
  return resource.version === item.version ? remember(resource, item.parts) : null;
}

async function readParts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  version: number,
): Promise<{ index: number; data: string }[]> {
  const prefix = keys.config.partsOf(version);
  const parts: { index: number; data: string }[] = [];
  const pages = paginateQuery(
    { client: doc },
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      parts.push({ index: Number(String(item.sk).slice(prefix.length)), data: String(item.data) });
    }
  }
  return parts;
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

  /**
   * The writes that store `item` under `condition` on its META item (always the first write, so a failed
   * condition is reason 0): one item, or META and its parts; and the deletes of `replaced`'s parts, if any.
   */
  private puts(
    item: T,
    condition: string,
    values?: Record<string, unknown>,
    replaced?: { version: number; parts: number },
  ): { writes: TransactItem[]; parts: number } {
    const index = { ...this.key(item.key), gsi1pk: keys.config.kind(this.kind), gsi1sk: item.key };
    const json = JSON.stringify(item);
    const parts = utf8Bytes(json) > INLINE_BYTES ? splitUtf8(json) : [];
    const meta =
      parts.length === 0
        ? { ...index, ...item }
        : {
            ...index,
            key: item.key,
            version: item.version,
            createdAt: item.createdAt,
            updatedAt: item.updatedAt,
            createdBy: item.createdBy,
            parts: parts.length,
          };
    const pk = index.pk;
    return {
      parts: parts.length,
      writes: [
        {
          Put: {
            TableName: this.tableName,
            Item: meta,
            ConditionExpression: condition,
            ...(values ? { ExpressionAttributeValues: values } : {}),
          },
        },
        ...parts.map((data, i) => ({
          Put: { TableName: this.tableName, Item: { pk, sk: keys.config.part(item.version, i), data } },
        })),
        ...this.partDeletes(pk, replaced),
      ],
    };
  }

  private partDeletes(pk: string, stored?: { version: number; parts: number }): TransactItem[] {
    if (stored === undefined) return [];
    return Array.from({ length: stored.parts }, (_, i) => ({
      Delete: { TableName: this.tableName, Key: { pk, sk: keys.config.part(stored.version, i) } },
    }));
  }

  /** How many parts hold `stored` (0: inline), from this module's reads, else from its META item. */
  private async partsOf(stored: T): Promise<{ version: number; parts: number }> {
    const known = partCounts.get(stored);
    if (known !== undefined) return { version: stored.version, parts: known };
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: this.key(stored.key),
        ConsistentRead: true,
        ProjectionExpression: '#version, parts',
        ExpressionAttributeNames: { '#version': 'version' },
      }),
    );
    // Another version stored: the write's condition fails (409) and deletes nothing.
    const item = out?.Item;
    const parts = item?.version === stored.version && typeof item.parts === 'number' ? item.parts : 0;
    return { version: stored.version, parts };
  }

  /** Store `document` as version 1, created by the change's actor. */
  async create(document: Omit<T, ServerManaged>, context: ChangeContext, now?: Date): Promise<T> {
    checkResourceSize(this.kind, document.key, document);
    const item = firstVersion(document, context, now) as T;
    const { writes, parts } = this.puts(item, 'attribute_not_exists(pk)');
    await this.run(
      writes,
      auditRecord(context, `${this.kind}.create`, this.resource(item.key), null, item),
      `A ${this.kind} with key ${item.key} already exists`,
    );
    return remember(item, parts);
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
    checkResourceSize(this.kind, before.key, document);
    const after = nextVersion(before, document, now);
    const { writes, parts } = this.puts(
      after,
      'attribute_exists(pk) AND version = :expected',
      { ':expected': before.version },
      await this.partsOf(before),
    );
    await this.run(
      writes,
      auditRecord(context, `${this.kind}.${action}`, this.resource(after.key), before, after),
      `${this.kind} ${after.key} was changed by someone else (your version ${before.version} is stale): read it again`,
    );
    return remember(after, parts);
  }

  /** Delete `stored` at the version the change names (or the stored one when it names none). */
  async remove(stored: T, change: VersionedChange): Promise<void> {
    const version = deleteVersion(this.kind, stored, change);
    await this.run(
      [
        {
          Delete: {
            TableName: this.tableName,
            Key: this.key(stored.key),
            ConditionExpression: 'attribute_exists(pk) AND version = :expected',
            ExpressionAttributeValues: { ':expected': version },
          },
        },
        ...this.partDeletes(this.key(stored.key).pk, await this.partsOf(stored)),
      ],
      auditRecord(change.context, `${this.kind}.delete`, this.resource(stored.key), stored, null),
      `${this.kind} ${stored.key} was changed by someone else (version ${version} is stale): read it again`,
    );
  }

  private resource(key: string) {
    return { kind: this.kind, key };
  }

  private async run(changes: TransactItem[], record: ReturnType<typeof auditRecord>, conflict: string) {
    try {
      await this.audit.commit(changes, record);
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

/**
 * Every resource in the config table by kind, from one strongly consistent Scan of the base table (resources
 * stored in parts joined from the parts the Scan met, or read again when a change replaced them meanwhile).
 */
export async function scanConfiguration(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<Map<ConfigKind, Versioned[]>> {
  const metas: { kind: ConfigKind; item: Record<string, unknown> }[] = [];
  const parts = new Map<string, { index: number; data: string }[]>();
  const pages = paginateScan({ client: doc }, { TableName: tableName, ConsistentRead: true });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      const kind = keys.config.kindOf(pk);
      if (kind === undefined) continue;
      if (item.sk === keys.config.meta) metas.push({ kind, item });
      else if (typeof item.data === 'string') {
        // sk = PART#<version>#<index>: group by partition and version.
        const sk = String(item.sk);
        const cut = sk.lastIndexOf('#') + 1;
        const group = `${pk}|${sk.slice(0, cut)}`;
        const list = parts.get(group) ?? [];
        list.push({ index: Number(sk.slice(cut)), data: item.data });
        parts.set(group, list);
      }
    }
  }
  const byKind = new Map<ConfigKind, Versioned[]>();
  for (const { kind, item } of metas) {
    const pk = String(item.pk);
    const seen = parts.get(`${pk}|${keys.config.partsOf(Number(item.version))}`) ?? [];
    const resource =
      (await assemble<Versioned>(doc, tableName, item, storedInParts(item) ? seen : undefined)) ??
      (await new ConfigReader<Versioned>(doc, tableName, kind).get(String(item.key)));
    if (resource === null) continue;
    const list = byKind.get(kind) ?? [];
    list.push(resource);
    byKind.set(kind, list);
  }
  return byKind;
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, ...rest } = item;
  return rest as T;
}
