import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fineBucketOf, fineBlockOf } from '../../../shared/analytics/histogram';
import { AGGREGATE_SHARDS, shardOf, shardsToRead, sumDecimals } from '../../../shared/analytics/shards';
import { AnalyticsStore } from '../../../shared/analytics/store';

type Item = { pk: { S: string }; sk: { S: string } } & Record<string, unknown>;

/** A client that answers each Query with the given items of its partition, and counts the Queries. */
function partitionedClient(items: Item[]) {
  const queried: string[] = [];
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  client.send = async (command: { input: Record<string, unknown> }) => {
    const pk = (command.input.ExpressionAttributeValues as Record<string, { S: string }>)[':pk']!.S;
    queried.push(pk);
    return { Items: items.filter((item) => item.pk.S === pk) };
  };
  return { client, queried };
}

describe('aggregate shards', () => {
  it('puts a unit in the same shard every time, and spreads units evenly', () => {
    expect(shardOf('user-42')).toBe(shardOf('user-42'));
    expect(shardOf('user-42', 1)).toBeUndefined();
    const counts = new Array<number>(AGGREGATE_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`user-${i}`)!]!++;
    // 1 000 expected per shard; a fair split stays within ±15 % (σ ≈ 31).
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
    expect(shardsToRead(1)).toEqual([undefined]);
    expect(shardsToRead(4)).toEqual([undefined, 0, 1, 2, 3]);
  });

  it('adds DynamoDB numbers exactly: the merged sum reads as one item holding it would', () => {
    expect(Number(sumDecimals(['0.1', '0.2']))).toBe(0.3); // as doubles: 0.30000000000000004
    expect(sumDecimals(['9007199254740993', '1'])).toBe('9007199254740994e0'); // past 2^53
    expect(Number(sumDecimals(['1.5E-7', '-2.5e-7', '3']))).toBe(2.9999999);
    expect(Number(sumDecimals(['-0.000000000001', '1000000000000']))).toBe(999999999999.999999999999);
    expect(sumDecimals(['42'])).toBe('42');
    expect(() => sumDecimals(['1', 'NaN'])).toThrow(RangeError);
  });

  it('merges the unsharded partition and every shard by sort key: sums, histograms bucket by bucket, fine blocks', async () => {
    const fine = fineBucketOf(120);
    const block = fineBlockOf(fine);
    const legacy = 'AGG#EXP#checkout';
    const shard = (s: number) => `AGG#EXP#checkout#${s}`;
    const { client, queried } = partitionedClient([
      { pk: { S: legacy }, sk: { S: 'control#$units' }, n: { N: '3' } },
      { pk: { S: shard(0) }, sk: { S: 'control#$units' }, n: { N: '2' } },
      { pk: { S: shard(7) }, sk: { S: 'treatment#$units' }, n: { N: '4' } },
      {
        pk: { S: legacy },
        sk: { S: 'control#revenue' },
        n: { N: '3' },
        sx: { N: '0.1' },
        sxy: { N: '-1.5' },
        rn: { N: '2' },
      },
      {
        pk: { S: shard(3) },
        sk: { S: 'control#revenue' },
        n: { N: '2' },
        sx: { N: '0.2' },
        sxy: { N: '0.5' },
        rn: { N: '1' },
      },
      { pk: { S: shard(3) }, sk: { S: 'control#latency' }, n: { N: '1' }, ev: { N: '2' }, h5: { N: '2' } },
      { pk: { S: shard(9) }, sk: { S: 'control#latency' }, n: { N: '1' }, ev: { N: '1' }, h5: { N: '1' } },
      { pk: { S: legacy }, sk: { S: `control#latency#q${block}` }, [`q${fine}`]: { N: '1' } },
      { pk: { S: shard(9) }, sk: { S: `control#latency#q${block}` }, [`q${fine}`]: { N: '2' } },
      // Another experiment's shard is never read.
      { pk: { S: 'AGG#EXP#checkout-2#0' }, sk: { S: 'control#$units' }, n: { N: '100' } },
    ]);
    const read = await new AnalyticsStore(client, 'analytics').readExperimentAggregates('checkout');
    expect(queried.sort()).toEqual(
      [legacy, ...Array.from({ length: AGGREGATE_SHARDS }, (_, s) => shard(s))].sort(),
    );
    expect(read.variants.control!.units).toBe(5);
    expect(read.variants.treatment!.units).toBe(4);
    const revenue = read.variants.control!.metrics.revenue!;
    expect(revenue).toMatchObject({ n: 5, sum: 0.3, ratio: { numerator: 3 } });
    expect(revenue.covariate.sumProducts).toBe(-1);
    expect(read.variants.control!.metrics.latency!.values).toMatchObject({
      count: 3,
      histogram: { 5: 3 },
      fine: { [fine]: 3 },
    });
  });

  it('reads a flag’s minutes and unit cells from its one partition: flags are not sharded (the monitor reads them every minute)', async () => {
    const flag = 'AGG#FLAG#api';
    const { client } = partitionedClient([
      { pk: { S: flag }, sk: { S: 'on#2026-01-01T12:00Z' }, err: { N: '3' }, lat: { N: '5' } },
      { pk: { S: flag }, sk: { S: 'on#2026-01-01T12:01Z' }, lat: { N: '1' }, h3: { N: '1' } },
      { pk: { S: flag }, sk: { S: '$units#on#2026-01-01T12Z' }, u: { N: '3' }, ee: { N: '9' } },
      // A shard partition of the flag is never written, and never read.
      { pk: { S: `${flag}#2` }, sk: { S: 'on#2026-01-01T12:00Z' }, err: { N: '100' } },
    ]);
    const store = new AnalyticsStore(client, 'analytics');
    expect(await store.readFlagMinutes('api', 'on', '2026-01-01T12:00Z', '2026-01-01T12:01Z')).toMatchObject({
      errors: 3,
      requests: 6,
      histogram: { 3: 1 },
    });
    expect(await store.readFlagUnitSums('api', 'on', '2026-01-01T12Z', '2026-01-01T12Z')).toMatchObject({
      units: 3,
      errorSquares: 9,
    });
  });
});
