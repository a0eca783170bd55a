import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { countedSoFar, exposedPurchases, startPurchaseExperiment } from '../support/fault-scenario';
import { apiCaller, eventually, PUBLISH_BUDGET_MS } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sharedDynamoEndpoint } from '../support/shared-engines';
import { startTcpFaultRelay, type TcpFaultRelay } from '../support/tcp-fault-relay';

const engines = requireEngines(['java']);

/** How long DynamoDB stays down: what lost 20 accepted events before (issue 16). */
const OUTAGE_MS = 15_000;

/**
 * The fault suite (issue 16.8), DynamoDB: the platform's DynamoDB Local is cut off for 15 s, as if killed and
 * restarted. Evaluation keeps answering from its last ruleset, writes answer 503 with `{code, message,
 * requestId}` and change nothing, events keep being accepted (the stream is up) — and once DynamoDB is back, every
 * event accepted before and during the outage is counted, with nothing sent to the failure store.
 */
engines.describe('fault: DynamoDB killed and restarted', () => {
  let relay: TcpFaultRelay;
  let platform: TestPlatform;
  let admin = '';
  let key = '';
  const url = () => platform.url;
  const asAdmin = apiCaller(url, () => admin);
  const sdk = apiCaller(url, () => key);

  beforeAll(async () => {
    const shared = sharedDynamoEndpoint();
    if (shared === undefined)
      throw new Error('the fault suite needs the shared DynamoDB Local of the test run');
    relay = await startTcpFaultRelay(shared);
    platform = await startTestPlatform({
      dynamoEndpoint: relay.endpoint,
      tablePrefix: `faults-${randomUUID().slice(0, 8)}`,
    });
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    key = (await asAdmin('POST', '/api/v1/api-keys', { name: 'backend', type: 'server' })).json
      .secret as string;
    expect(
      (
        await asAdmin('POST', '/api/v1/feature-flags', {
          key: 'checkout',
          name: 'Checkout',
          kind: 'boolean',
          variations: [
            { key: 'on', value: true },
            { key: 'off', value: false },
          ],
          enabled: true,
          offVariation: 'off',
          fallthrough: { variation: 'on' },
        })
      ).status,
    ).toBe(201);
    await startPurchaseExperiment(asAdmin, 'outage');
    await eventually(
      'the ruleset carries the flag',
      async () => {
        const answer = await sdk('POST', '/api/v1/evaluate', { context: { targetingKey: 'probe' } });
        return answer.status === 200 && (answer.json.results as unknown[]).length === 1;
      },
      scaledMs(PUBLISH_BUDGET_MS),
    );
  }, scaledMs(120_000));

  afterAll(async () => {
    await relay?.up().catch(() => undefined);
    await platform?.stop();
    await relay?.stop();
  });

  const counted = () => countedSoFar(asAdmin, 'outage');

  it(
    'keeps evaluating, refuses writes with 503, accepts events, and counts every accepted event after recovery',
    async () => {
      const before = exposedPurchases('outage', 0, 40);
      expect((await sdk('POST', '/api/v1/events', { events: before })).json.refused).toEqual([]);
      await eventually(
        'the events before the outage are counted',
        async () => (await counted()).units === 40,
        scaledMs(60_000),
        500,
      );

      await relay.down();
      const downAt = Date.now();
      // Events: accepted (the stream is up), every one of them.
      const during = exposedPurchases('outage', 40, 60);
      const sent = await sdk('POST', '/api/v1/events', { events: during });
      expect(sent.status).toBe(200);
      expect(sent.json.refused).toEqual([]);
      // Evaluation answers from the ruleset it holds.
      const evaluated = await sdk('POST', '/api/v1/evaluate', { context: { targetingKey: 'someone' } });
      expect(evaluated.status).toBe(200);
      expect(evaluated.json.results).toEqual([expect.objectContaining({ flagKey: 'checkout', value: true })]);
      // A write: 503 with the error shape and a request id, and (below) nothing changed.
      const write = await asAdmin('PATCH', '/api/v1/feature-flags/checkout', { enabled: false, version: 1 });
      expect(write.status).toBe(503);
      expect(write.json).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.any(String),
        requestId: expect.any(String),
      });
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
      await relay.up();

      // Every accepted event is counted once DynamoDB is back; none went to the failure store.
      await eventually(
        'every accepted event is counted after recovery',
        async () => {
          const now = await counted();
          return now.units === 100 && now.conversions === 100;
        },
        scaledMs(120_000),
        1000,
      );
      const failures = await readdir(join(platform.failuresDir, 'event-processor')).catch(() => []);
      expect(failures).toEqual([]);
      const flag = await asAdmin('GET', '/api/v1/feature-flags/checkout');
      expect(flag.json).toMatchObject({ enabled: true, version: 1 });
    },
    scaledMs(300_000),
  );
});
