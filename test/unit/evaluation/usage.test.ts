import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { UsageRecorder } from '../../../shared/evaluation/usage';

describe('flag usage counters', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(doc);
  beforeEach(() => mock.reset());

  it('writes nothing per evaluation, then one ADD per flag once the interval has passed', async () => {
    let now = 0;
    const usage = new UsageRecorder(doc, 'analytics', 60_000, () => now);
    mock.on(UpdateCommand).resolves({});
    for (let i = 0; i < 1000; i++) usage.record(['a', 'b']);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(0);
    now = 60_000;
    usage.record(['a']);
    await new Promise((r) => setImmediate(r));
    const calls = mock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls.find((c) => c.Key?.pk === 'FLAGUSAGE#a')).toMatchObject({
      UpdateExpression: 'ADD evaluations :n SET lastEvaluatedAt = :at',
      ExpressionAttributeValues: { ':n': 1001, ':at': new Date(60_000).toISOString() },
    });
    expect(calls.find((c) => c.Key?.pk === 'FLAGUSAGE#b')?.ExpressionAttributeValues?.[':n']).toBe(1000);
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    let now = 0;
    const usage = new UsageRecorder(doc, 'analytics', 10, () => now);
    mock.on(UpdateCommand).rejectsOnce(new Error('throttled')).resolves({});
    usage.record(['a', 'a']);
    await usage.flush();
    now = 100;
    await usage.flush();
    const last = mock.commandCalls(UpdateCommand).at(-1)!.args[0].input;
    expect(last.ExpressionAttributeValues?.[':n']).toBe(2);
  });
});
