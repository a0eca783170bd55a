import type { FetchInit, FetchLike, FetchResponse, Runtime } from '../../sdk/js/src';
import type { Ruleset } from '../../shared/rules';

/** One request the SDK made, as the fake fetch saw it. */
export interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export type Reply = FetchResponse | Error | 'hang';

export function reply(status: number, body?: unknown, headers: Record<string, string> = {}): FetchResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    text: () =>
      Promise.resolve(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/**
 * A fetch with no network: `respond` answers each call (an Error rejects like a network failure, 'hang'
 * waits until the SDK aborts). Every call is recorded.
 */
export function fakeFetch(respond: (call: Call, index: number) => Reply | Promise<Reply>): {
  fetch: FetchLike;
  calls: Call[];
} {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url: string, init: FetchInit) => {
    const call: Call = {
      method: init.method,
      path: new URL(url).pathname,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.parse(init.body),
    };
    calls.push(call);
    const answer = await respond(call, calls.length - 1);
    if (answer === 'hang') {
      return new Promise<FetchResponse>((_resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    }
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, calls };
}

/**
 * A clock that only moves when told, sleeps that return at once (recorded, and moving the clock), no
 * background timers: tests drive polls and flushes themselves.
 */
export function manualRuntime(overrides: Partial<Runtime> = {}) {
  let now = Date.parse('2026-01-01T12:00:00Z');
  const sleeps: number[] = [];
  const runtime: Partial<Runtime> = {
    now: () => now,
    elapsed: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    schedule: () => () => undefined,
    ...overrides,
  };
  return {
    runtime,
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

/** A logger that keeps its lines, so tests stay quiet and can read them. */
export function memoryLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      warn: (message: string) => lines.push(`warn ${message}`),
      error: (message: string) => lines.push(`error ${message}`),
    },
  };
}

const onOff = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

/** A small ruleset: a boolean rollout, a string flag with a segment rule, a prerequisite, an experiment. */
export function sampleRuleset(revision = 1, changes: Partial<Record<string, object>> = {}): Ruleset {
  const flags = [
    {
      key: 'new-checkout',
      kind: 'boolean',
      variations: onOff,
      enabled: true,
      offVariation: 'off',
      rules: [],
      fallthrough: {
        allocations: [
          { variation: 'on', weight: 5000 },
          { variation: 'off', weight: 5000 },
        ],
      },
    },
    {
      key: 'banner',
      kind: 'string',
      variations: [
        { key: 'plain', value: 'Welcome' },
        { key: 'staff', value: 'Hello, colleague' },
      ],
      enabled: true,
      offVariation: 'plain',
      rules: [
        { id: 'staff', conditions: { op: 'in_segment', values: ['staff'] }, serve: { variation: 'staff' } },
      ],
      fallthrough: { variation: 'plain' },
    },
    {
      key: 'express-pay',
      kind: 'boolean',
      variations: onOff,
      enabled: true,
      offVariation: 'off',
      prerequisites: [{ flagKey: 'new-checkout', variation: 'on' }],
      rules: [],
      fallthrough: { variation: 'on' },
    },
    {
      key: 'limits',
      kind: 'number',
      variations: [
        { key: 'low', value: 10 },
        { key: 'high', value: 100 },
      ],
      enabled: true,
      offVariation: 'low',
      rules: [],
      fallthrough: { variation: 'high' },
    },
    {
      key: 'pricing-page',
      kind: 'json',
      variations: [
        { key: 'control', value: { layout: 'list' } },
        { key: 'grid', value: { layout: 'grid' } },
      ],
      enabled: true,
      offVariation: 'control',
      rules: [],
      fallthrough: { variation: 'control' },
    },
  ].map((flag) => ({ ...flag, ...changes[flag.key] }));
  return {
    revision,
    hashVersion: 1,
    flags,
    segments: [{ key: 'staff', included: ['ada'], excluded: [], ...changes['segment:staff'] }],
    experiments: [
      {
        key: 'pricing-test',
        flagKey: 'pricing-page',
        variants: [
          { key: 'control', weight: 5000, isControl: true },
          { key: 'grid', weight: 5000, isControl: false },
        ],
        trafficAllocation: 10000,
        unitAttribute: 'userId',
      },
    ],
    layers: [],
  } as unknown as Ruleset;
}
