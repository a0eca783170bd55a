import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';

/** The DynamoDB Streams client of the local platform's stream poller (see clients.ts). */
export function createDynamoStreamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({});
}
