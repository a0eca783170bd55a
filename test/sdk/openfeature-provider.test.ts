import { OpenFeature, ProviderEvents, ProviderStatus, type EventDetails } from '@openfeature/server-sdk';
import { createClient, type SwitchyardEvent } from '../../sdk/js/src';
import { SwitchyardProvider } from '../../sdk/js/src/openfeature';
import type { Ruleset } from '../../shared/rules';
import { fakeFetch, manualRuntime, memoryLogger, reply, sampleRuleset, type Reply } from './support';

/** The ruleset route serving `current()` by ETag, and the events route recording what arrives. */
function api(current: () => Ruleset | Reply) {
  const events: SwitchyardEvent[] = [];
  const fake = fakeFetch((call) => {
    if (call.path === '/api/v1/events') {
      const batch = (call.body as { events: SwitchyardEvent[] }).events;
      events.push(...batch);
      return reply(200, { accepted: batch.map((e) => e.eventId), refused: [] });
    }
    const ruleset = current();
    if (typeof ruleset === 'string' || ruleset instanceof Error || !('revision' in ruleset)) return ruleset;
    const etag = `"${ruleset.revision}"`;
    return call.headers['if-none-match'] === etag ? reply(304) : reply(200, ruleset, { etag });
  });
  return { ...fake, events };
}

let domain = 0;

/** A provider over a client with a manual clock (polls happen on refresh()), registered under its own domain. */
function setUp(current: () => Ruleset | Reply, readyTimeoutMs = 1000) {
  const fake = api(current);
  const clock = manualRuntime();
  const provider = new SwitchyardProvider({
    baseUrl: 'https://flags.test',
    apiKey: 'sy_server',
    fetch: fake.fetch,
    runtime: {
      ...clock.runtime,
      schedule: (ms, fn) => {
        // waitForReady's deadline is the only timer the provider's client needs here.
        const timer = setTimeout(fn, Math.min(ms, readyTimeoutMs));
        return () => clearTimeout(timer);
      },
    },
    logger: memoryLogger().logger,
    readyTimeoutMs,
  });
  const name = `provider-test-${domain++}`;
  const seen: string[] = [];
  const record = (event: ProviderEvents) => (details?: EventDetails) =>
    seen.push(
      event === ProviderEvents.ConfigurationChanged
        ? `${event} ${((details?.flagsChanged as string[] | undefined) ?? []).join(',')}`
        : event,
    );
  for (const event of [
    ProviderEvents.Ready,
    ProviderEvents.Error,
    ProviderEvents.Stale,
    ProviderEvents.ConfigurationChanged,
  ]) {
    OpenFeature.getClient(name).addHandler(event, record(event));
  }
  return { provider, fake, name, seen, client: () => OpenFeature.getClient(name) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('OpenFeature server provider', () => {
  afterAll(() => OpenFeature.close());

  it('is Ready after the first ruleset and resolves every type from local evaluation', async () => {
    const { provider, name, seen, client } = setUp(() => sampleRuleset(1));
    await OpenFeature.setProviderAndWait(name, provider);
    expect(client().providerStatus).toBe(ProviderStatus.READY);
    const user = { targetingKey: 'ada' };
    expect(await client().getBooleanValue('new-checkout', true, { targetingKey: 'u-1' })).toEqual(
      expect.any(Boolean),
    );
    expect(await client().getStringDetails('banner', 'x', user)).toMatchObject({
      flagKey: 'banner',
      value: 'Hello, colleague',
      variant: 'staff',
      reason: 'TARGETING_MATCH',
      flagMetadata: { revision: 1, ruleId: 'staff' },
    });
    expect(await client().getNumberValue('limits', 0, user)).toBe(100);
    expect(await client().getObjectValue('pricing-page', {}, {})).toEqual({ layout: 'list' });
    expect(seen).toEqual([ProviderEvents.Ready]);
    expect(provider.metadata.name).toBe('switchyard');
  });

  it('answers errors with the default and OpenFeature’s error codes', async () => {
    const { provider, name, client } = setUp(() => sampleRuleset(1));
    await OpenFeature.setProviderAndWait(name, provider);
    expect(await client().getBooleanDetails('nope', true, {})).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await client().getNumberDetails('banner', 3, {})).toMatchObject({
      value: 3,
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await client().getBooleanDetails('new-checkout', false, {})).toMatchObject({
      value: false,
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('emits ConfigurationChanged naming only the changed flags, Stale on failure, Ready on recovery', async () => {
    let current: Ruleset | Reply = sampleRuleset(1);
    const { provider, name, seen } = setUp(() => current);
    await OpenFeature.setProviderAndWait(name, provider);
    current = sampleRuleset(2, { limits: { fallthrough: { variation: 'low' } } });
    await provider.client.refresh();
    current = sampleRuleset(3, { limits: { fallthrough: { variation: 'low' } } }); // nothing changed
    await provider.client.refresh();
    current = reply(500);
    await provider.client.refresh();
    expect(OpenFeature.getClient(name).providerStatus).toBe(ProviderStatus.STALE);
    expect(await OpenFeature.getClient(name).getNumberValue('limits', 0, {})).toBe(10);
    current = sampleRuleset(3, { limits: { fallthrough: { variation: 'low' } } });
    await provider.client.refresh();
    await settle();
    expect(seen).toEqual([
      ProviderEvents.Ready,
      `${ProviderEvents.ConfigurationChanged} limits`,
      ProviderEvents.Stale,
      ProviderEvents.Ready,
    ]);
    expect(OpenFeature.getClient(name).providerStatus).toBe(ProviderStatus.READY);
  });

  it('fails initialization without a ruleset (Error), then becomes Ready when one arrives', async () => {
    let current: Ruleset | Reply = reply(503);
    const { provider, name, seen, client } = setUp(() => current, 200);
    await expect(OpenFeature.setProviderAndWait(name, provider)).rejects.toThrow(/no ruleset within 200 ms/);
    expect(client().providerStatus).toBe(ProviderStatus.ERROR);
    expect(await client().getBooleanDetails('new-checkout', true, { targetingKey: 'u' })).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    current = sampleRuleset(1);
    await provider.client.refresh();
    await settle();
    expect(client().providerStatus).toBe(ProviderStatus.READY);
    expect(seen).toEqual([ProviderEvents.Error, ProviderEvents.Ready]);
  });

  it('sends OpenFeature track() calls and exposures through the SDK’s events', async () => {
    const { provider, name, fake, client } = setUp(() => sampleRuleset(1));
    await OpenFeature.setProviderAndWait(name, provider);
    client().track('purchase', { targetingKey: 'u-1' }, { value: 42, currency: 'EUR' });
    await client().getObjectValue('pricing-page', {}, { userId: 'u-2' });
    await provider.client.flush();
    expect(fake.events.map((e) => [e.type, e.name, e.unitId, e.value, e.properties])).toEqual(
      expect.arrayContaining([['track', 'purchase', 'u-1', 42, { currency: 'EUR' }]]),
    );
    const exposures = fake.events.filter((e) => e.type === 'exposure');
    expect(exposures).toHaveLength(1);
    expect(exposures[0]).toMatchObject({ unitId: 'u-2', experimentKey: 'pricing-test' });
  });

  it('closes the client it made, and not one it was given', async () => {
    const made = setUp(() => sampleRuleset(1));
    await OpenFeature.setProviderAndWait(made.name, made.provider);
    const given = createClient({
      mode: 'local',
      baseUrl: 'https://flags.test',
      apiKey: 'k',
      fetch: api(() => sampleRuleset(1)).fetch,
      runtime: manualRuntime().runtime,
      ruleset: sampleRuleset(1),
    });
    await OpenFeature.setProviderAndWait('given', new SwitchyardProvider(given));
    await OpenFeature.clearProviders();
    expect(made.provider.client.status).toBe('closed');
    expect(given.status).toBe('ready');
    await given.close();
  });
});
