import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { scaledMs, timeScale } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { streamEvents } from '../support/event-stream';
import { apiCaller, eventually, mapConcurrent } from '../support/http';

/**
 * The Python SDK (sdk/python) against the local platform, in a python3 process as an application runs it:
 * local evaluation gives the API's own answers (flags, segment, prerequisite, split, a flag backed by an
 * experiment, assignments), a flag change is seen within one poll interval, and its events — track, measure's
 * latency and error events, local exposures — reach the stream and the safety monitor's figures.
 */
const engines = requireEngines(['java', 'python']);
const DRIVER = join(__dirname, '..', '..', 'sdk', 'python', 'tests', 'platform_driver.py');
const POLL_SECONDS = 0.5;

/** One python3 process running platform_driver.py: a JSON command per line, a JSON answer per line. */
class PythonSdk {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: ((line: string) => void)[] = [];
  stderr = '';

  constructor() {
    this.child = spawn('python3', [DRIVER], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answers.shift()?.(line));
  }

  send<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.answers.push((line) => {
        const answer = JSON.parse(line) as T & { error?: string };
        if (answer.error !== undefined) reject(new Error(`${answer.error}\n${this.stderr}`));
        else resolve(answer);
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  /** Closes the client (its last events are sent), then the process. */
  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.send({ cmd: 'close' }).catch(() => undefined),
        new Promise((r) => (timer = setTimeout(r, scaledMs(10_000)))),
      ]);
      clearTimeout(timer);
    }
    this.child.kill();
  }
}

interface Result {
  flagKey: string;
  value: unknown;
  variation: string | null;
  reason: string;
  ruleId?: string;
  experimentKey?: string;
  errorCode?: string;
  errorMessage?: string;
}
const comparable = ({ errorMessage: _message, ...rest }: Result) => rest;

const boolean = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

/** Contexts that reach every path of the flags below: rules, segment lists and conditions, the split, no unit. */
const contexts: Record<string, unknown>[] = Array.from({ length: 120 }, (_, i) => ({
  ...(i % 23 === 7 ? {} : { targetingKey: `py-user-${i}` }),
  ...(i % 4 === 0 ? { email: `u${i}@corp.example` } : { email: `u${i}@mail.example` }),
  country: ['US', 'FR', 'DE', 'CA'][i % 4],
  appVersion: ['1.9.0', '2.0.0-beta.1', '2.0.0', '2.10.3'][i % 4],
  seats: i % 50,
  roles: i % 6 === 0 ? ['admin', 'billing'] : ['viewer'],
  ...(i % 9 === 0 ? { userId: i } : {}),
}));

engines.describe('Python SDK against the local platform', () => {
  let platform: TestPlatform;
  let adminToken = '';
  let serverKey = '';
  const url = () => platform.url;
  const admin = apiCaller(url, () => adminToken);
  const sdk = apiCaller(url, () => serverKey);
  let local: PythonSdk;
  let remote: PythonSdk;

  const apiEvaluate = async (context: unknown) => {
    const answer = await sdk('POST', '/api/v1/evaluate', { context });
    expect(answer.status).toBe(200);
    return answer.json as unknown as { revision: number; results: Result[] };
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    adminToken = (await platform.identity.signIn({ role: 'admin' })).token;
    serverKey = (await admin('POST', '/api/v1/api-keys', { name: 'python', type: 'server' })).json
      .secret as string;

    expect(
      (
        await admin('POST', '/api/v1/segments', {
          key: 'py-beta',
          name: 'Beta testers',
          included: ['py-user-3', 'py-user-5'],
          excluded: ['py-user-8'],
          conditions: { attribute: 'roles', op: 'in', values: ['admin'] },
        })
      ).status,
    ).toBe(201);
    const flags = [
      {
        key: 'py-checkout',
        name: 'Checkout',
        kind: 'boolean',
        variations: boolean,
        enabled: true,
        offVariation: 'off',
        rules: [
          {
            id: 'staff',
            conditions: {
              attribute: 'email',
              op: 'ends_with',
              values: ['@CORP.example'],
              caseInsensitive: true,
            },
            serve: { variation: 'on' },
          },
          {
            id: 'beta',
            conditions: {
              all: [
                { op: 'in_segment', values: ['py-beta'] },
                { attribute: 'appVersion', op: 'semver_gte', values: ['2.0.0'] },
              ],
            },
            serve: { variation: 'on' },
          },
          {
            id: 'europe',
            conditions: { attribute: 'country', op: 'in', values: ['FR', 'DE'] },
            serve: {
              allocations: [
                { variation: 'on', weight: 2500 },
                { variation: 'off', weight: 7500 },
              ],
            },
          },
        ],
        fallthrough: {
          allocations: [
            { variation: 'on', weight: 3000 },
            { variation: 'off', weight: 7000 },
          ],
        },
      },
      {
        key: 'py-seats',
        name: 'Seat limit',
        kind: 'number',
        variations: [
          { key: 'small', value: 5 },
          { key: 'large', value: 50.5 },
        ],
        enabled: true,
        offVariation: 'small',
        prerequisites: [{ flagKey: 'py-checkout', variation: 'on' }],
        rules: [
          {
            id: 'big',
            conditions: { attribute: 'seats', op: 'gte', values: [25] },
            serve: { variation: 'large' },
          },
        ],
        fallthrough: { variation: 'small' },
      },
      {
        key: 'py-pricing',
        name: 'Pricing page',
        kind: 'json',
        variations: [
          { key: 'control', value: { plan: 'monthly' } },
          { key: 'annual', value: { plan: 'annual', discount: 0.2 } },
        ],
        enabled: true,
        offVariation: 'control',
        rules: [],
        fallthrough: { variation: 'control' },
      },
    ];
    for (const flag of flags) expect((await admin('POST', '/api/v1/feature-flags', flag)).status).toBe(201);
    const experiment = await admin('POST', '/api/v1/experiments', {
      key: 'py-pricing-test',
      name: 'Pricing test',
      flagKey: 'py-pricing',
      variants: [
        { key: 'control', name: 'Control', weight: 5000, isControl: true },
        { key: 'annual', name: 'Annual', weight: 5000, payload: { badge: 'best value' } },
      ],
      trafficAllocation: 8000,
      unitAttribute: 'targetingKey',
      conditions: { attribute: 'country', op: 'in', values: ['US', 'CA'] },
    });
    expect(experiment.status).toBe(201);
    expect((await admin('POST', '/api/v1/experiments/py-pricing-test/start', { version: 1 })).status).toBe(
      200,
    );
    await eventually(
      'the ruleset carries the flags and the experiment',
      async () => {
        const { results } = await apiEvaluate({ targetingKey: 'probe', country: 'US' });
        return results.some((r) => r.experimentKey === 'py-pricing-test') && results.length === 3
          ? true
          : undefined;
      },
      scaledMs(20_000),
    );

    local = new PythonSdk();
    remote = new PythonSdk();
    const started = await local.send({
      cmd: 'start',
      baseUrl: platform.url,
      apiKey: serverKey,
      mode: 'local',
      pollInterval: POLL_SECONDS,
      flushInterval: 0.2,
    });
    expect(started).toMatchObject({ ready: true });
    expect(
      await remote.send({
        cmd: 'start',
        baseUrl: platform.url,
        apiKey: serverKey,
        mode: 'remote',
        flushInterval: 0.2,
      }),
    ).toMatchObject({ ready: true });
  }, scaledMs(120_000));

  afterAll(async () => {
    await Promise.all([local?.close(), remote?.close()]);
    await platform?.stop();
  });

  it('local evaluation equals the API’s /evaluate, and remote mode returns it', async () => {
    const api = await mapConcurrent(contexts, 4, apiEvaluate);
    const { revision, results } = await local.send<{ revision: number; results: Result[][] }>({
      cmd: 'evaluateAll',
      contexts,
    });
    expect(revision).toBe(api[0]!.revision);
    expect(results.map((r) => r.map(comparable))).toEqual(api.map((a) => a.results.map(comparable)));
    const reasons = new Set(results.flat().map((r) => `${r.flagKey}:${r.reason}`));
    for (const expected of [
      'py-checkout:TARGETING_MATCH',
      'py-checkout:SPLIT',
      'py-checkout:ERROR',
      'py-seats:PREREQUISITE_FAILED',
      'py-seats:TARGETING_MATCH',
      'py-pricing:SPLIT',
      'py-pricing:DEFAULT',
    ])
      expect([...reasons]).toContain(expected);

    const viaApi = await remote.send<{ results: Result[][] }>({
      cmd: 'evaluateAll',
      contexts: contexts.slice(0, 20),
    });
    expect(viaApi.results).toEqual(api.slice(0, 20).map((a) => a.results));
  });

  it('local assignments equal the API’s /assignments', async () => {
    const api = await mapConcurrent(contexts, 4, async (context) => {
      const answer = await sdk('POST', '/api/v1/assignments', { context });
      return (answer.json as { assignments: unknown[] }).assignments;
    });
    const { assignments } = await local.send<{ assignments: unknown[][] }>({ cmd: 'assign', contexts });
    expect(assignments).toEqual(api);
    const reasons = new Set(assignments.flat().map((a) => (a as { reason: string }).reason));
    expect([...reasons].sort()).toEqual(['ASSIGNED', 'NOT_ELIGIBLE', 'OUTSIDE_TRAFFIC', 'UNIT_MISSING']);
  });

  it('sees a flag change within one poll interval of the API serving it', async () => {
    const before = (await apiEvaluate(contexts[1]!)).revision;
    const flag = (await admin('GET', '/api/v1/feature-flags/py-checkout')).json;
    expect(
      (
        await admin('POST', '/api/v1/feature-flags/py-checkout/toggle', {
          enabled: false,
          version: flag.version,
        })
      ).status,
    ).toBe(200);
    const served = await eventually(
      'the API serves the new revision',
      async () => {
        const { revision } = await apiEvaluate(contexts[1]!);
        return revision > before ? revision : undefined;
      },
      scaledMs(20_000),
      20,
    );
    const at = Date.now();
    const { revision } = await local.send<{ revision: number }>({
      cmd: 'waitRevision',
      above: before,
      timeout: (POLL_SECONDS * 1.1 + 1) * timeScale(),
    });
    expect(revision).toBe(served);
    expect(Date.now() - at).toBeLessThan(scaledMs(POLL_SECONDS * 1100 + 500));
    const { results } = await local.send<{ results: Result[][] }>({
      cmd: 'evaluateAll',
      contexts: [contexts[1]],
    });
    expect(results[0]!.find((r) => r.flagKey === 'py-checkout')).toMatchObject({
      reason: 'DISABLED',
      value: false,
    });
    const again = await admin('GET', '/api/v1/feature-flags/py-checkout');
    await admin('POST', '/api/v1/feature-flags/py-checkout/toggle', {
      enabled: true,
      version: again.json.version,
    });
  });

  it(
    'its events reach the platform: track, measure’s latency and error events in the safety figures, exposures',
    async () => {
      const settings = await admin('GET', '/api/v1/safety/settings');
      expect(
        (
          await admin('PUT', '/api/v1/safety/settings', {
            ...settings.json,
            enabled: true,
            autoRollback: false,
            version: settings.json.version,
          })
        ).status,
      ).toBe(200);
      expect(
        (await admin('PUT', '/api/v1/safety/feature-flags/py-checkout/config', { enabled: true, version: 0 }))
          .status,
      ).toBe(200);
      await eventually(
        'the flag is on again in the SDK',
        async () => {
          const { results } = await local.send<{ results: Result[][] }>({
            cmd: 'evaluateAll',
            contexts: [contexts[0]],
          });
          return results[0]![0]!.reason === 'TARGETING_MATCH' ? true : undefined;
        },
        scaledMs(20_000),
      );

      // Staff units (the first rule): every one is served "on", the variation the monitor judges.
      const staff = Array.from({ length: 30 }, (_, i) => ({
        targetingKey: `py-staff-${i}`,
        email: `s${i}@corp.example`,
      }));
      expect(
        await local.send({ cmd: 'measure', flagKey: 'py-checkout', contexts: staff, failEvery: 3 }),
      ).toEqual({
        calls: 30,
        failures: 10,
      });
      const newcomers = Array.from({ length: 20 }, (_, i) => ({
        targetingKey: `py-new-${i}`,
        country: 'US',
      }));
      await local.send({ cmd: 'evaluateAll', contexts: newcomers });
      const newcomerResults = (
        await local.send<{ results: Result[][] }>({ cmd: 'evaluateAll', contexts: newcomers })
      ).results;
      expect(
        await local.send({ cmd: 'track', name: 'py-purchase', unitId: 'py-staff-1', value: 42 }),
      ).toEqual({
        queued: true,
      });
      const flushed = await local.send<{ sent: boolean; stats: Record<string, number> }>({ cmd: 'flush' });
      expect(flushed.sent).toBe(true);
      expect(flushed.stats).toMatchObject({ dropped: 0, refused: 0, pending: 0 });

      const events = await eventually(
        'the events are on the stream',
        async () => {
          // Read as plain records: the checks below look at fields only some event types have.
          const all: Record<string, unknown>[] = await streamEvents(platform.eventsStreamName);
          const mine = all.filter((e) => String(e.unitId).startsWith('py-'));
          return mine.filter((e) => e.type === 'latency').length >= 30 ? mine : undefined;
        },
        scaledMs(20_000),
        200,
      );
      const latency = events.filter((e) => e.type === 'latency' && e.flagKey === 'py-checkout');
      const errors = events.filter((e) => e.type === 'error' && e.flagKey === 'py-checkout');
      expect([latency.length, errors.length]).toEqual([30, 10]);
      expect(new Set([...latency, ...errors].map((e) => e.variation))).toEqual(new Set(['on']));
      expect(events.filter((e) => e.type === 'track')).toMatchObject([
        { name: 'py-purchase', unitId: 'py-staff-1', value: 42 },
      ]);
      // Units only the SDK evaluated (the API never saw them): one exposure each, from the SDK, for the variant
      // it served, however often it evaluated them.
      const exposed = new Map(
        newcomers.flatMap((context, i) => {
          const result = newcomerResults[i]!.find((r) => r.flagKey === 'py-pricing');
          return result?.experimentKey === undefined
            ? []
            : [[context.targetingKey, result.variation] as const];
        }),
      );
      expect(exposed.size).toBeGreaterThan(5);
      const exposures = events.filter((e) => e.type === 'exposure' && String(e.unitId).startsWith('py-new-'));
      expect(exposures).toHaveLength(exposed.size);
      for (const e of exposures) {
        expect(e).toMatchObject({ name: '$exposure', experimentKey: 'py-pricing-test' });
        expect(e.variant).toBe(exposed.get(e.unitId as string));
      }

      const figures = await eventually(
        'the safety monitor’s figures count them',
        async () => {
          const report = await admin('GET', '/api/v1/safety/report');
          const flag = (
            report.json.flags as {
              flagKey: string;
              health?: {
                variations: {
                  guarded: { variation: string; window: { requests: number; errors: number } };
                }[];
              };
            }[]
          ).find((f) => f.flagKey === 'py-checkout');
          const on = flag?.health?.variations.find((v) => v.guarded.variation === 'on')?.guarded.window;
          return on !== undefined && on.requests >= 30 ? on : undefined;
        },
        scaledMs(30_000),
        250,
      );
      expect(figures).toMatchObject({ requests: 30, errors: 10 });
    },
    scaledMs(120_000),
  );
});
