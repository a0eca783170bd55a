import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type GetCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../../shared/errors';
import { logger } from '../../../shared/observability';

/**
 * The target of the one-time schedules (lambdas/experiment-scheduler) fired by a rollout's schedule, against an
 * in-memory config table: it runs the 5-minute job's code on that one rollout, then moves the rollout's schedule to
 * the next stage, targeting itself. (Experiments' fires: test/unit/experiments/scheduler-target.test.ts.)
 */
describe('the exact-time schedule target, fired by a rollout', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const scheduler = mockClient(SchedulerClient);
  const SELF = 'arn:aws:lambda:eu-west-1:123456789012:function:switchyard-target';
  const context = {
    awsRequestId: 'fire-1',
    functionName: 'switchyard-target',
    invokedFunctionArn: SELF,
  } as Context;
  const env = {
    TABLE_CONFIG: 'config-table',
    TABLE_AUDIT: 'audit-table',
    SCHEDULE_GROUP_NAME: 'schedules',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/invoke',
  };
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
  let handler: (event: unknown, context: Context) => Promise<void>;
  let table: Map<string, Record<string, unknown>>;
  const writes = () => ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
  const audits = () =>
    writes().flatMap((items) =>
      items.flatMap((i) =>
        i.Put?.TableName === 'audit-table' ? [i.Put.Item as Record<string, unknown>] : [],
      ),
    );

  const flag = {
    pk: 'FLAG#checkout',
    sk: 'META',
    key: 'checkout',
    name: 'Checkout',
    description: '',
    kind: 'boolean',
    enabled: true,
    tags: [],
    variations: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    offVariation: 'off',
    targets: [],
    rules: [],
    fallthrough: {
      allocations: [
        { variation: 'on', weight: 1000 },
        { variation: 'off', weight: 9000 },
      ],
    },
    owner: 'dev',
    createdBy: 'dev',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 2,
  };
  const rollout = (extra: Record<string, unknown>) => ({
    pk: 'ROLLOUT#ramp',
    sk: 'META',
    key: 'ramp',
    flagKey: 'checkout',
    variation: 'on',
    stages: [
      { percentage: 1000, trigger: { type: 'manual' } },
      { percentage: 5000, trigger: { type: 'time', after: 'PT10M' } },
      { percentage: 10000, trigger: { type: 'time', after: 'PT1H' } },
    ],
    status: 'ACTIVE',
    currentStage: 0,
    replacedVariation: 'off',
    startedAt: minutesAgo(11),
    stageStartedAt: minutesAgo(11),
    history: [{ stage: 0, percentage: 1000, at: minutesAgo(11), by: 'dev', action: 'advance' }],
    createdBy: 'dev',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 2,
    ...extra,
  });

  beforeAll(async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    ({ handler } = await import('../../../lambdas/experiment-scheduler/handler'));
    process.env = saved;
  });
  beforeEach(() => {
    ddb.reset();
    scheduler.reset();
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:created' });
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:updated' });
    scheduler.on(DeleteScheduleCommand).resolves({});
    table = new Map();
    const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;
    ddb.on(GetCommand).callsFake((input: GetCommandInput) => ({ Item: table.get(key(input.Key!)) }));
    ddb.on(QueryCommand).callsFake(() => ({ Items: [...table.values()] }));
    // Each transaction's config Put (conditions as DynamoDB would check them) becomes the stored item.
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      for (const item of input.TransactItems ?? []) {
        if (item.Put?.TableName === 'config-table') table.set(key(item.Put.Item!), item.Put.Item!);
      }
    });
  });
  const store = (...items: Record<string, unknown>[]) => {
    for (const item of items) table.set(`${String(item.pk)}|${String(item.sk)}`, item);
  };

  it('enters the stage that is due, as system:rollouts, and moves the schedule to the next one: once', async () => {
    store(flag, rollout({}));
    await handler({ rolloutKey: 'ramp' }, context);
    expect(table.get('ROLLOUT#ramp|META')).toMatchObject({ status: 'ACTIVE', currentStage: 1, version: 3 });
    expect(table.get('FLAG#checkout|META')).toMatchObject({
      version: 3,
      fallthrough: {
        allocations: [
          { variation: 'on', weight: 5000 },
          { variation: 'off', weight: 5000 },
        ],
      },
    });
    expect(audits().map((a) => [a.action, a.actor, a.requestId])).toEqual([
      ['flag.rollout', 'system:rollouts', 'fire-1'],
      ['rollout.advance', 'system:rollouts', 'fire-1'],
    ]);
    // The next stage in an hour, on the function that was invoked: itself.
    const [create] = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(create).toMatchObject({
      GroupName: 'schedules',
      Name: expect.stringMatching(/^ramp-[0-9a-f]{10}-stage$/),
      ActionAfterCompletion: 'NONE',
      Target: { Arn: SELF, RoleArn: env.SCHEDULER_ROLE_ARN, Input: '{"rolloutKey":"ramp"}' },
    });

    // A repeated fire (the Scheduler's retry) finds nothing due.
    scheduler.resetHistory();
    await handler({ rolloutKey: 'ramp' }, { ...context, invokedFunctionArn: `${SELF}:$LATEST` });
    expect(writes()).toHaveLength(2);
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('starts a PENDING schedule whose startAt has come', async () => {
    store(
      { ...flag, fallthrough: { variation: 'off' } },
      rollout({
        status: 'PENDING',
        currentStage: -1,
        startAt: minutesAgo(0.01),
        history: [],
        replacedVariation: undefined,
        startedAt: undefined,
        stageStartedAt: undefined,
        version: 1,
      }),
    );
    await handler({ rolloutKey: 'ramp' }, context);
    expect(table.get('ROLLOUT#ramp|META')).toMatchObject({ status: 'ACTIVE', currentStage: 0, version: 2 });
  });

  it.each([
    ['early (the stage is not due yet)', { stageStartedAt: minutesAgo(5) }],
    ['stale (the rollout was paused)', { status: 'PAUSED' }],
    ['stale (the rollout was rolled back)', { status: 'ROLLED_BACK' }],
    [
      'stale (the next stage became manual)',
      {
        stages: [
          { percentage: 1000, trigger: { type: 'manual' } },
          { percentage: 2000, trigger: { type: 'manual' } },
        ],
      },
    ],
  ])('changes nothing when it fires %s', async (_when, extra) => {
    store(flag, rollout(extra));
    await handler({ rolloutKey: 'ramp' }, context);
    expect(writes()).toEqual([]);
    expect(scheduler.calls()).toEqual([]);
  });

  it('logs and ignores a schedule of a rollout schedule that no longer exists', async () => {
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await expect(handler({ rolloutKey: 'gone' }, context)).resolves.toBeUndefined();
    expect(writes()).toEqual([]);
    expect(warned).toHaveBeenCalledWith(expect.stringMatching(/no longer exists/), { rolloutKey: 'gone' });
    warned.mockRestore();
  });

  it('still takes the experiments’ input, which schedules created before rollouts had them carry', async () => {
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await handler({ experimentKey: 'gone', action: 'start' }, context);
    expect(warned).toHaveBeenCalledWith(expect.stringMatching(/experiment that no longer exists/), {
      experimentKey: 'gone',
      action: 'start',
    });
    warned.mockRestore();
  });

  it.each([
    ['a key that is not a resource key', { rolloutKey: 'Bad Key' }],
    ['a rollout key beside other fields', { rolloutKey: 'ramp', stage: 2 }],
    ['a number', { rolloutKey: 7 }],
    ['nothing', undefined],
  ])('refuses input with %s, without touching the table', async (_what, event) => {
    await expect(handler(event, context)).rejects.toThrow(ConfigurationError);
    await expect(handler(event, context)).rejects.toThrow(/Invalid exact-time schedule input/);
    expect(ddb.calls()).toHaveLength(0);
  });
});
