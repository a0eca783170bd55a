import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '../../../shared/observability';

/** The target of the one-time schedules (lambdas/experiment-scheduler), against a one-item config table. */
describe('the exact-time schedule target', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const context = { awsRequestId: 'fire-1', functionName: 'experiment-scheduler' } as Context;
  let handler: (event: unknown, context: Context) => Promise<void>;
  let stored: Record<string, unknown> | undefined;
  const writes = () => ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);

  const experiment = (extra: Record<string, unknown>) => ({
    pk: 'EXPERIMENT#checkout',
    sk: 'META',
    key: 'checkout',
    name: 'Checkout',
    description: '',
    tags: [],
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'b', name: 'B', weight: 5000, isControl: false },
    ],
    trafficAllocation: 10000,
    unitAttribute: 'userId',
    secondaryMetrics: [],
    guardrailMetrics: [],
    status: 'DRAFT',
    createdBy: 'dev',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    ...extra,
  });

  beforeAll(async () => {
    process.env.TABLE_CONFIG = 'config-table';
    process.env.TABLE_AUDIT = 'audit-table';
    ({ handler } = await import('../../../lambdas/experiment-scheduler/handler'));
  });
  beforeEach(() => {
    ddb.reset();
    stored = undefined;
    ddb.on(GetCommand).callsFake(() => ({ Item: stored }));
    // The transaction's Put (condition checked as DynamoDB would) becomes the stored item.
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const put = input.TransactItems?.find((i) => i.Put?.TableName === 'config-table')?.Put;
      if (put) stored = put.Item;
    });
  });

  it('starts a DRAFT whose startAt has come, once: a repeated fire changes nothing', async () => {
    stored = experiment({ startAt: new Date(Date.now() - 1000).toISOString() });
    await handler({ experimentKey: 'checkout', action: 'start' }, context);
    expect(writes()).toHaveLength(1);
    expect(stored).toMatchObject({ status: 'ACTIVE', version: 2 });
    const audit = writes()[0]!.find((i) => i.Put?.TableName === 'audit-table')!.Put!.Item!;
    expect(audit).toMatchObject({
      action: 'experiment.start',
      actor: 'system:scheduler',
      requestId: 'fire-1',
    });

    await handler({ experimentKey: 'checkout', action: 'start' }, context);
    expect(writes()).toHaveLength(1);
    expect(stored).toMatchObject({ status: 'ACTIVE', version: 2 });
  });

  it('completes a running experiment whose endAt has come', async () => {
    stored = experiment({ status: 'PAUSED', version: 4, endAt: new Date(Date.now() - 1000).toISOString() });
    await handler({ experimentKey: 'checkout', action: 'complete' }, context);
    expect(stored).toMatchObject({ status: 'COMPLETED', version: 5 });
  });

  it.each([
    ['early (the experiment was moved later)', { startAt: new Date(Date.now() + 3_600_000).toISOString() }],
    ['stale (the experiment was started by hand)', { status: 'ACTIVE', startAt: '2026-01-02T00:00:00.000Z' }],
    ['stale (no startAt any more)', {}],
  ])('changes nothing when it fires %s', async (_when, extra) => {
    stored = experiment(extra);
    await handler({ experimentKey: 'checkout', action: 'start' }, context);
    expect(writes()).toEqual([]);
  });

  it('logs and ignores a schedule of an experiment that no longer exists', async () => {
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await expect(handler({ experimentKey: 'gone', action: 'complete' }, context)).resolves.toBeUndefined();
    expect(writes()).toEqual([]);
    expect(warned).toHaveBeenCalledWith(expect.stringMatching(/no longer exists/), {
      experimentKey: 'gone',
      action: 'complete',
    });
    warned.mockRestore();
  });

  it.each([
    ['no key', { action: 'start' }],
    ['an unknown action', { experimentKey: 'checkout', action: 'archive' }],
    ['a key that is not an experiment key', { experimentKey: 'Bad Key', action: 'start' }],
    ['a scheduled event', { source: 'aws.events', 'detail-type': 'Scheduled Event' }],
  ])('refuses input with %s, without touching the table', async (_what, event) => {
    await expect(handler(event, context)).rejects.toThrow(/Invalid exact-time schedule input/);
    expect(ddb.calls()).toHaveLength(0);
  });
});
