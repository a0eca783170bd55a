import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, type ConfigKind } from '../../shared/db/keys';

/** The bookkeeping fields every stored flag carries (owner, audit times, version, tags), for seeding flags. */
export const STORED_FLAG_FIELDS = {
  owner: 'o',
  createdBy: 'o',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  temporary: true,
  tags: [],
  description: '',
} as const;

/**
 * Put a configuration resource straight into the config table, keyed as the repositories key it (base item and the
 * by-kind index), for tests that seed what the API would have written.
 */
export function putConfigItem<T extends { readonly key: string }>(
  doc: DynamoDBDocumentClient,
  configTable: string,
  kind: ConfigKind,
  item: T,
): Promise<unknown> {
  return doc.send(
    new PutCommand({
      TableName: configTable,
      Item: {
        pk: keys.config.resource(kind, item.key),
        sk: keys.config.meta,
        gsi1pk: keys.config.kind(kind),
        gsi1sk: item.key,
        ...item,
      },
    }),
  );
}
