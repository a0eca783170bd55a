import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * AWS clients as every function and the local platform create them. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which the local platform sets to its embedded engines.
 */
export function createDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

export function createDocumentClient(client: DynamoDBClient = createDynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createDynamoStreamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({});
}

/**
 * HTTP/1.1 on purpose: the Kinesis client defaults to HTTP/2, which kinesalite does not speak; the
 * platform only calls PutRecords/GetRecords, for which HTTP/1.1 is as good.
 */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: 2000 }) });
}
