import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients as every function and the local platform create them. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which the local platform sets to its embedded engines. One module per
 * service (kinesis.ts, streams.ts beside this one): importing a client loads its SDK package at cold start, so a
 * function loads only those it imports, and may import one lazily where only some requests need it.
 */
export function createDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

export function createDocumentClient(client: DynamoDBClient = createDynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
