import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import {
  DynamoBoundStore,
  mergeBounds,
  tightenBound,
  tightenStoredBounds,
  type RunningBound,
} from '../../../shared/results/bounds';
import { MemoryBoundStore } from './memory-bounds';

const bound: fc.Arbitrary<RunningBound> = fc.record({
  p: fc.double({ min: 0, max: 1, noNaN: true }),
  s: fc.constantFrom(-1, 0, 1),
  h: fc.double({ min: 0, max: 1, noNaN: true }),
  lo: fc.double({ min: -10, max: 0, noNaN: true }),
  hi: fc.double({ min: 0, max: 10, noNaN: true }),
  up: fc.boolean(),
  down: fc.boolean(),
});

describe('merging running bounds', () => {
  it('is a join: order, grouping and repetition of looks do not matter (so racing reads lose nothing)', () => {
    fc.assert(
      fc.property(bound, bound, bound, (a, b, c) => {
        const figures = (x: RunningBound) => [x.p, x.h, x.lo, x.hi, x.up, x.down];
        expect(figures(tightenBound(a, b))).toEqual(figures(tightenBound(b, a)));
        expect(figures(tightenBound(tightenBound(a, b), c))).toEqual(
          figures(tightenBound(a, tightenBound(b, c))),
        );
        expect(tightenBound(a, a)).toEqual(a);
        const merged = tightenBound(a, b);
        expect(merged.p).toBeLessThanOrEqual(Math.min(a.p, b.p));
        expect(merged.lo).toBeGreaterThanOrEqual(Math.max(a.lo, b.lo));
        expect(merged.hi).toBeLessThanOrEqual(Math.min(a.hi, b.hi));
      }),
      { numRuns: 500, seed: 71 },
    );
  });

  it('says whether anything moved', () => {
    const a: RunningBound = { p: 0.2, s: 1, h: 0.9, lo: -1, hi: 2, up: false, down: false };
    expect(mergeBounds({ k: a }, { k: { ...a, p: 0.3, lo: -2 } }).changed).toBe(false);
    expect(mergeBounds({ k: a }, { k: { ...a, hi: 1.5 } }).changed).toBe(true);
    expect(mergeBounds({}, { k: a })).toEqual({ bounds: { k: a }, changed: true });
  });

  it('shows the stored bounds, never tighter unstored ones, when the write fails', async () => {
    const store = new MemoryBoundStore();
    const stored: RunningBound = { p: 0.2, s: 1, h: 0.9, lo: -1, hi: 2, up: false, down: false };
    await store.write('x', { k: stored }, 0);
    store.write = async () => {
      throw new Error('throttled');
    };
    const shown = await tightenStoredBounds(
      store,
      'x',
      await store.read('x'),
      { k: { ...stored, p: 0.01 } },
      true,
    );
    expect(shown).toEqual({ k: stored });
  });
});

describe('DynamoBoundStore', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeEach(() => dynamo.reset());
  const store = () => new DynamoBoundStore(new DynamoDBClient({ region: 'us-east-1' }), 'analytics');

  it('reads nothing as version 0, and the stored JSON otherwise', async () => {
    dynamo
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolvesOnce({
        Item: {
          version: { N: '3' },
          b: { S: '{"plain/m/t":{"p":0.1,"s":1,"h":1,"lo":0,"hi":1,"up":false,"down":false}}' },
        },
      });
    expect(await store().read('checkout')).toEqual({ version: 0, bounds: {} });
    expect(await store().read('checkout')).toEqual({
      version: 3,
      bounds: { 'plain/m/t': { p: 0.1, s: 1, h: 1, lo: 0, hi: 1, up: false, down: false } },
    });
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: { S: 'BOUNDS#EXP#checkout' }, sk: { S: 'SEQUENTIAL' } },
      ConsistentRead: true,
    });
  });

  it('writes on the version read only, and reports a lost race as false', async () => {
    dynamo
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await store().write('checkout', {}, 0)).toBe(true);
    expect(await store().write('checkout', {}, 4)).toBe(false);
    const [first, second] = dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(first).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { version: { N: '1' } },
    });
    expect(second).toMatchObject({
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': { N: '4' } },
      Item: { pk: { S: 'BOUNDS#EXP#checkout' }, version: { N: '5' } },
    });
  });
});
