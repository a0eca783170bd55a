/** Where global-setup.ts tells the test files about the run's shared DynamoDB Local. */
export const SHARED_DYNAMO_ENV = 'SWITCHYARD_TEST_DYNAMODB_ENDPOINT';

/** The run's shared DynamoDB Local, or undefined (Java missing, or a file run without the global setup). */
export function sharedDynamoEndpoint(): string | undefined {
  return process.env[SHARED_DYNAMO_ENV] || undefined;
}
