import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, type ConfigKind } from '../../shared/db/keys';

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
