import {
  OpenFeature,
  type Client,
  type EvaluationContext as OpenFeatureContext,
} from '@openfeature/server-sdk';
import {
  OpenFeature as OpenFeatureWeb,
  type Client as WebClient,
  type EvaluationDetails as WebEvaluationDetails,
  type FlagValue,
} from '@openfeature/web-sdk';
import { createClient, type EvaluationDetails, type FlagKind, type LocalClient } from '../../sdk/js/src';
import { SwitchyardProvider } from '../../sdk/js/src/openfeature';
import { SwitchyardWebProvider } from '../../sdk/openfeature-web/src';
import type { Assignment, EvaluationResult, Ruleset } from '../../shared/rules';
import assignments from '../vectors/assignments.json';
import bucketing from '../vectors/bucketing.json';
import evaluation from '../vectors/evaluation.json';
import { fakeFetch, reply } from './support';
import {
  DEFAULTS,
  kindOf,
  ofrepFetch,
  webDetails,
  webExpectation,
  type EvaluationCase,
  type KeyType,
} from './vectors';

/**
 * The contract vectors (test/vectors, docs/rules.md §5) through the SDK's local mode, the OpenFeature server
 * provider, and the OpenFeature web provider (over OFREP bulk evaluation, answered in-process by the platform's
 * own OFREP code from the vector's ruleset). The engine and the Python SDK answer the same files elsewhere.
 */
interface AssignmentCase {
  description: string;
  context: unknown;
  unitId?: string;
  experiments?: string[];
  expected: Assignment[];
  flag?: { flagKey: string; expected: Omit<EvaluationResult, 'flagKey'> };
}

/** A local client serving `ruleset` (bootstrapped; the API answers 304, so nothing replaces it). */
function clientFor(ruleset: Ruleset): LocalClient {
  const { fetch } = fakeFetch((call) =>
    call.path === '/api/v1/events' ? reply(200, { accepted: [], refused: [] }) : reply(304),
  );
  return createClient({
    mode: 'local',
    baseUrl: 'https://vectors.test',
    apiKey: 'k',
    fetch,
    ruleset,
    pollIntervalMs: 0,
  });
}

/** What a typed getter must answer for an expectation: the caller's default on ERROR. */
function typedExpectation(c: EvaluationCase, kind: FlagKind) {
  const { expected } = c;
  if (expected.reason === 'ERROR') {
    return {
      value: DEFAULTS[kind],
      variation: null,
      reason: 'ERROR',
      ruleId: expected.ruleId,
      errorCode: expected.errorCode,
    };
  }
  return {
    value: expected.value,
    variation: expected.variation,
    reason: expected.reason,
    ruleId: expected.ruleId,
  };
}

function typed(client: LocalClient, kind: FlagKind, c: EvaluationCase): EvaluationDetails {
  const context = c.context as Record<string, unknown>;
  switch (kind) {
    case 'boolean':
      return client.getBooleanDetails(c.flagKey, context, DEFAULTS.boolean as boolean);
    case 'string':
      return client.getStringDetails(c.flagKey, context, DEFAULTS.string as string);
    case 'number':
      return client.getNumberDetails(c.flagKey, context, DEFAULTS.number as number);
    case 'json':
      return client.getJsonDetails(c.flagKey, context, DEFAULTS.json as { default: boolean });
  }
}

async function resolve(client: Client, kind: FlagKind, c: EvaluationCase) {
  const context = c.context as OpenFeatureContext;
  switch (kind) {
    case 'boolean':
      return client.getBooleanDetails(c.flagKey, DEFAULTS.boolean as boolean, context);
    case 'string':
      return client.getStringDetails(c.flagKey, DEFAULTS.string as string, context);
    case 'number':
      return client.getNumberDetails(c.flagKey, DEFAULTS.number as number, context);
    case 'json':
      return client.getObjectDetails(c.flagKey, DEFAULTS.json as { default: boolean }, context);
  }
}

const evaluationRuleset = evaluation.ruleset as unknown as Ruleset;
const evaluationCases = evaluation.cases as unknown as EvaluationCase[];
/** Client-key visibility is the API's business (local mode is for server keys): those cases stay with the engine. */
const sdkCases = evaluationCases.filter((c) => c.options?.clientSideOnly !== true);
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('evaluation vectors through the SDK (local mode)', () => {
  const client = clientFor(evaluationRuleset);
  afterAll(() => client.close());

  it('runs all but the client-key cases', () => {
    expect(sdkCases.length).toBe(evaluationCases.length - 2);
  });

  it.each(sdkCases.map((c) => [c.flagKey, c.description, c]))('%s: %s', (_flag, _description, c) => {
    if (c.options?.kind === undefined) {
      const [result] = client.evaluateAll(c.context as Record<string, unknown>, [c.flagKey]);
      const { errorMessage: _message, flagKey, ...comparable } = result!;
      expect(flagKey).toBe(c.flagKey);
      expect(comparable).toEqual(c.expected);
    }
    const kind = kindOf(evaluationRuleset, c);
    const { errorMessage: _message, flagKey: _key, ...details } = typed(client, kind, c);
    expect(details).toEqual(JSON.parse(JSON.stringify(typedExpectation(c, kind))));
  });
});

describe('evaluation vectors through the OpenFeature server provider', () => {
  let client: Client;
  beforeAll(async () => {
    await OpenFeature.setProviderAndWait(
      'vectors-evaluation',
      new SwitchyardProvider(clientFor(evaluationRuleset)),
    );
    client = OpenFeature.getClient('vectors-evaluation');
  });
  afterAll(() => OpenFeature.clearProviders());

  // OpenFeature contexts are objects: the null and array contexts are the SDK's and the engine's business.
  const providerCases = sdkCases.filter((c) => isObject(c.context));

  it.each(providerCases.map((c) => [c.flagKey, c.description, c]))(
    '%s: %s',
    async (_flag, _description, c) => {
      const kind = kindOf(evaluationRuleset, c);
      const expected = typedExpectation(c, kind);
      const details = await resolve(client, kind, c);
      expect({
        value: details.value,
        variant: details.variant,
        reason: details.reason,
        errorCode: details.errorCode,
        ruleId: details.flagMetadata.ruleId,
      }).toEqual({
        value: expected.value,
        variant: expected.variation ?? undefined,
        reason: expected.reason,
        errorCode: expected.errorCode,
        ruleId: expected.ruleId,
      });
    },
  );
});

/** A web client in `domain` whose provider asks `ruleset` with a server or a client key. */
async function webClientFor(domain: string, ruleset: Ruleset, apiKey: KeyType): Promise<WebClient> {
  const provider = new SwitchyardWebProvider({
    baseUrl: 'https://vectors.test',
    apiKey,
    fetch: ofrepFetch(ruleset),
    pollIntervalMs: 0,
  });
  await OpenFeatureWeb.setProviderAndWait(domain, provider);
  return OpenFeatureWeb.getClient(domain);
}

/** The static-context paradigm: set the case's context (one bulk request), then resolve synchronously. */
async function resolveOnWeb(client: WebClient, kind: FlagKind, flagKey: string, context: unknown) {
  await OpenFeatureWeb.setContext(client.metadata.domain!, context as OpenFeatureContext);
  let details: WebEvaluationDetails<FlagValue>;
  switch (kind) {
    case 'boolean':
      details = client.getBooleanDetails(flagKey, DEFAULTS.boolean as boolean);
      break;
    case 'string':
      details = client.getStringDetails(flagKey, DEFAULTS.string as string);
      break;
    case 'number':
      details = client.getNumberDetails(flagKey, DEFAULTS.number as number);
      break;
    case 'json':
      details = client.getObjectDetails(flagKey, DEFAULTS.json as { default: boolean });
      break;
  }
  return webDetails(details);
}

describe('evaluation vectors through the OpenFeature web provider (OFREP)', () => {
  // OpenFeature contexts are objects, and OFREP refuses any other context (INVALID_CONTEXT): the null and array
  // contexts are the SDK's and the engine's business. Every other case runs — the client-key ones with a
  // client key, the rest with a server key (which sees every flag, as the vectors assume).
  const webCases = evaluationCases.filter((c) => isObject(c.context));
  const clients: Partial<Record<KeyType, WebClient>> = {};
  beforeAll(async () => {
    clients.server = await webClientFor('web-vectors-server', evaluationRuleset, 'server');
    clients.client = await webClientFor('web-vectors-client', evaluationRuleset, 'client');
  });
  afterAll(() => OpenFeatureWeb.clearProviders());

  it('runs all but the three cases whose context is not an object', () => {
    expect(webCases.length).toBe(evaluationCases.length - 3);
  });

  it.each(webCases.map((c) => [c.flagKey, c.description, c]))('%s: %s', async (_flag, _description, c) => {
    const kind = kindOf(evaluationRuleset, c);
    const client = clients[c.options?.clientSideOnly === true ? 'client' : 'server']!;
    const flag = evaluationRuleset.flags.find((f) => f.key === c.flagKey);
    expect(await resolveOnWeb(client, kind, c.flagKey, c.context)).toEqual(
      webExpectation(c.expected, kind, flag, evaluationRuleset.experiments ?? []),
    );
  });
});

describe('assignment vectors through the SDK (local mode) and the provider', () => {
  const ruleset = assignments.ruleset as unknown as Ruleset;
  const cases = assignments.cases as unknown as AssignmentCase[];
  const client = clientFor(ruleset);
  let openFeature: Client;
  beforeAll(async () => {
    await OpenFeature.setProviderAndWait('vectors-assignments', new SwitchyardProvider(client));
    openFeature = OpenFeature.getClient('vectors-assignments');
  });
  afterAll(async () => {
    await OpenFeature.clearProviders();
    await client.close();
  });

  it.each(cases.map((c) => [c.description, c]))('%s', async (_description, c) => {
    const answers = client.assign(c.context as Record<string, unknown>, {
      ...(c.experiments === undefined ? {} : { experiments: c.experiments }),
      ...(c.unitId === undefined ? {} : { unitId: c.unitId }),
    });
    expect(answers).toEqual(c.expected);
    if (c.flag !== undefined) {
      const {
        errorMessage: _message,
        flagKey: _key,
        ...result
      } = client.evaluateAll(c.context as Record<string, unknown>, [c.flag.flagKey])[0]!;
      expect(result).toEqual(c.flag.expected);
      if (isObject(c.context)) {
        const details = await openFeature.getStringDetails(
          c.flag.flagKey,
          '<default>',
          c.context as OpenFeatureContext,
        );
        const { expected } = c.flag;
        expect([details.value, details.variant, details.reason, details.flagMetadata.experimentKey]).toEqual(
          expected.reason === 'ERROR'
            ? ['<default>', undefined, 'ERROR', undefined]
            : [expected.value, expected.variation, expected.reason, expected.experimentKey],
        );
      }
    }
  });
});

describe('bucketing vectors through the SDK’s splits', () => {
  // Two flags per case, salted with the case's salt: a split at its bucket and one just above it. A unit lands
  // in the second allocation of the first and the first of the second exactly when its bucket is the case's.
  // An empty unit id is no unit (TARGETING_KEY_MISSING): those cases are the engine's (hash only).
  const cases = bucketing.cases.filter((c) => c.unitId !== '');
  const split = (key: string, salt: string, below: number) => ({
    key,
    salt,
    kind: 'boolean',
    enabled: true,
    variations: [
      { key: 'below', value: false },
      { key: 'at-or-above', value: true },
    ],
    offVariation: 'below',
    rules: [],
    fallthrough: {
      allocations: [
        { variation: 'below', weight: below },
        { variation: 'at-or-above', weight: 10_000 - below },
      ],
    },
  });
  const ruleset = {
    revision: 1,
    hashVersion: bucketing.hashVersion,
    segments: [],
    flags: cases.flatMap((c, i) => [
      split(`b${i}-lo`, c.salt, c.bucket),
      split(`b${i}-hi`, c.salt, c.bucket + 1),
    ]),
  } as unknown as Ruleset;
  const client = clientFor(ruleset);
  afterAll(() => client.close());

  it('skips only the empty unit ids', () => {
    expect(cases.length).toBe(bucketing.cases.length - 10);
  });

  it.each(cases.map((c, i) => [JSON.stringify(c.salt), JSON.stringify(c.unitId), i, c]))(
    'salt %s, unit %s',
    (_salt, _unit, i, c) => {
      const context = { targetingKey: c.unitId };
      expect(client.getBooleanDetails(`b${i}-lo`, context, false)).toMatchObject({
        variation: 'at-or-above',
      });
      expect(client.getBooleanDetails(`b${i}-hi`, context, true)).toMatchObject({ variation: 'below' });
    },
  );
});

describe('assignment vectors’ flag answers through the OpenFeature web provider (OFREP)', () => {
  // OFREP evaluates flags only: the assignments themselves (`assign`) have no OFREP form and no web provider
  // method, so only each case's flag answer runs here — for the cases whose context is an object (see above).
  const ruleset = assignments.ruleset as unknown as Ruleset;
  const experiments = ruleset.experiments ?? [];
  const cases = (assignments.cases as unknown as AssignmentCase[]).filter(
    (c) => c.flag !== undefined && isObject(c.context),
  );
  let client: WebClient;
  beforeAll(async () => {
    client = await webClientFor('web-vectors-assignments', ruleset, 'server');
  });
  afterAll(() => OpenFeatureWeb.clearProviders());

  it('runs every flag answer but the three whose context is not an object', () => {
    const withFlag = (assignments.cases as unknown as AssignmentCase[]).filter((c) => c.flag !== undefined);
    expect(cases.length).toBe(withFlag.length - 3);
  });

  it.each(cases.map((c) => [c.description, c]))('%s', async (_description, c) => {
    const { flagKey, expected } = c.flag!;
    const flag = ruleset.flags.find((f) => f.key === flagKey);
    const kind = flag?.kind ?? 'string';
    expect(await resolveOnWeb(client, kind, flagKey, c.context)).toEqual(
      webExpectation(expected, kind, flag, experiments),
    );
  });
});
