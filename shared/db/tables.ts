/**
 * The DynamoDB tables of Switchyard: one definition used by the CDK app (lib/stacks/stateful-stack.ts)
 * and by the local platform (local/dynamodb.ts), so key schemas and indexes cannot drift apart.
 *
 * Every table uses generic key names (`pk`, `sk`, `gsi1pk`, `gsi1sk`) so that item shapes can evolve
 * without table replacements; the key builders live in shared/db/keys.ts.
 */
export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface GlobalIndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical name: construct id in CDK, suffix of the local table name, key of the env var. */
  readonly id: TableId;
  readonly purpose: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes: readonly GlobalIndexDefinition[];
  /** DynamoDB Streams view type; only the config table streams (to the ruleset publisher). */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
  readonly ttlAttribute?: string;
}

export type TableId = 'config' | 'rulesets' | 'audit' | 'analytics' | 'apiKeys' | 'idempotency';

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };
const gsi1: GlobalIndexDefinition = {
  name: 'gsi1',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
};

export const TABLES: Readonly<Record<TableId, TableDefinition>> = {
  config: {
    id: 'config',
    purpose:
      'Flags, segments, experiments, layers, metrics, rollout schedules and settings (pk = KIND#key). ' +
      'gsi1 lists one kind ordered by key. Its stream feeds the ruleset publisher.',
    partitionKey: pk,
    sortKey: sk,
    globalIndexes: [gsi1],
    stream: 'NEW_AND_OLD_IMAGES',
  },
  rulesets: {
    id: 'rulesets',
    purpose:
      'The published ruleset as entries (one item per flag, segment, running experiment, used layer), ' +
      'per-revision deltas (TTL), blobs of large entries and the CURRENT pointer (shared/rulesets/repository.ts).',
    partitionKey: pk,
    sortKey: sk,
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
  audit: {
    id: 'audit',
    purpose:
      'Append-only audit log: pk = RESOURCE#kind#key, sk = at#requestId. gsi1 by actor, gsi2 by day for time ranges.',
    partitionKey: pk,
    sortKey: sk,
    globalIndexes: [
      gsi1,
      { name: 'gsi2', partitionKey: { name: 'gsi2pk', type: 'S' }, sortKey: { name: 'gsi2sk', type: 'S' } },
    ],
  },
  analytics: {
    id: 'analytics',
    purpose:
      'Aggregates per experiment × variant × metric and per flag × variation, plus per-event dedup markers (TTL).',
    partitionKey: pk,
    sortKey: sk,
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
  apiKeys: {
    id: 'apiKeys',
    purpose: 'SDK API keys stored by SHA-256 hash (pk = HASH#hex); gsi1 lists them by id.',
    partitionKey: pk,
    sortKey: sk,
    globalIndexes: [gsi1],
  },
  idempotency: {
    id: 'idempotency',
    purpose: 'Powertools idempotency records (its default schema: id + expiration TTL).',
    partitionKey: { name: 'id', type: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiration',
  },
};

export const TABLE_IDS = Object.keys(TABLES) as TableId[];

/** Environment variable through which a function receives a table's name, e.g. TABLE_CONFIG. */
export function tableEnvName(id: TableId): string {
  return `TABLE_${id.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Every attribute that appears in a key of the table or of one of its indexes (for CreateTable). */
export function keyAttributes(def: TableDefinition): KeyAttribute[] {
  const all = [
    def.partitionKey,
    def.sortKey,
    ...def.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const byName = new Map<string, KeyAttribute>();
  for (const attr of all) if (attr) byName.set(attr.name, attr);
  return [...byName.values()];
}
