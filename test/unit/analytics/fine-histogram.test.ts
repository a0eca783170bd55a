import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { aggregateKey, fineBlockKey } from '../../../shared/analytics/contributions';
import {
  bucketOf,
  FINE_BLOCK_SIZE,
  fineBlockOf,
  fineBucketOf,
  fineBucketRange,
} from '../../../shared/analytics/histogram';
import { AnalyticsStore, type AggregateTransaction } from '../../../shared/analytics/store';

/** A client that records what it is sent and answers a Query with the given items of its partition. */
function recordingClient(items: ({ pk: { S: string } } & Record<string, unknown>)[] = []) {
  const sent: { input: Record<string, unknown> }[] = [];
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  client.send = async (command: { input: Record<string, unknown> }) => {
    sent.push(command);
    const pk = (command.input.ExpressionAttributeValues as { ':pk'?: { S: string } } | undefined)?.[':pk'];
    return { Items: items.filter((item) => item.pk.S === pk?.S) };
  };
  return { client, sent };
}

describe('the fine histogram', () => {
  it('refines the coarse buckets: each fine bucket lies in one coarse bucket, 8 to one', () => {
    for (let v = 0.0005; v < 1e9; v *= 1.0371) {
      const fine = fineBucketOf(v);
      const { lower, upper } = fineBucketRange(fine);
      if (fine > 0) {
        expect(v).toBeGreaterThanOrEqual(lower * (1 - 1e-12));
        expect(v).toBeLessThan(upper * (1 + 1e-12));
      }
      expect(fine === 0 ? 0 : Math.floor((fine - 1) / 8) + 1).toBe(bucketOf(v));
    }
  });

  it('writes a whole block in one update under DynamoDB’s 4 KB expression limit', async () => {
    const { client, sent } = recordingClient();
    const store = new AnalyticsStore(client, 'analytics');
    const block = 11;
    const counts = new Map(
      Array.from({ length: FINE_BLOCK_SIZE }, (_, i) => [
        `q${block * FINE_BLOCK_SIZE + i}`,
        { delta: 3, scale: 3 },
      ]),
    );
    const tx: AggregateTransaction = {
      units: [],
      experiments: new Map([[aggregateKey('checkout', 'control', fineBlockKey('latency', block)), counts]]),
      safety: new Map(),
      unitCells: new Map(),
    };
    await store.commit(tx);
    const [update] = (sent[0]!.input.TransactItems as { Update: Record<string, unknown> }[]).map(
      (i) => i.Update,
    );
    expect(update!.Key).toEqual({ pk: { S: 'AGG#EXP#checkout' }, sk: { S: `control#latency#q${block}` } });
    expect(Object.keys(update!.ExpressionAttributeNames as object)).toHaveLength(FINE_BLOCK_SIZE);
    expect((update!.UpdateExpression as string).length).toBeLessThanOrEqual(4096);
  });

  it('is read back into the metric it belongs to, whatever the order of the items', async () => {
    const a = fineBucketOf(120);
    const b = fineBucketOf(3000);
    expect(fineBlockOf(a)).not.toBe(fineBlockOf(b));
    const { client } = recordingClient([
      {
        pk: { S: 'AGG#EXP#checkout' },
        sk: { S: `control#latency#q${fineBlockOf(b)}` },
        [`q${b}`]: { N: '2' },
      },
      { pk: { S: 'AGG#EXP#checkout' }, sk: { S: 'control#latency' }, n: { N: '3' }, ev: { N: '5' } },
      {
        pk: { S: 'AGG#EXP#checkout' },
        sk: { S: `control#latency#q${fineBlockOf(a)}` },
        [`q${a}`]: { N: '3' },
      },
      { pk: { S: 'AGG#EXP#checkout' }, sk: { S: 'control#$units' }, n: { N: '4' } },
    ]);
    const read = await new AnalyticsStore(client, 'analytics').readExperimentAggregates('checkout');
    expect(read.variants.control!.units).toBe(4);
    expect(read.variants.control!.metrics.latency!.values).toMatchObject({
      count: 5,
      fine: { [a]: 3, [b]: 2 },
    });
    expect(Object.keys(read.variants.control!.metrics)).toEqual(['latency']);
  });
});
