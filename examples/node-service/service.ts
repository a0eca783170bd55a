import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NOOP_PROVIDER, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { SwitchyardProvider } from '@switchyard/sdk/openfeature';

export interface ServiceOptions {
  /** Where Switchyard answers (the part before /api/v1). */
  readonly switchyardUrl: string;
  /** A server key: the provider evaluates locally from the downloaded ruleset. */
  readonly serverKey: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 30000 */
  readonly pollIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly provider: SwitchyardProvider;
  close(): Promise<void>;
}

/** The OpenFeature domain of this service: its provider is not the process's default one. */
const DOMAIN = 'checkout-service';

/**
 * A small checkout service flagged through OpenFeature and the Switchyard provider:
 *
 *   GET  /checkout?user=ID[&country=FR]  which checkout the user gets (flag `new-checkout`), measured for the
 *                                        safety monitor (latency, and an error when the handler fails);
 *                                        `&fail=1` simulates a failing request
 *   POST /purchase?user=ID&amount=N      a `purchase` event through OpenFeature's track()
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const log = options.log ?? ((line: string) => console.warn(line));
  const provider = new SwitchyardProvider({
    baseUrl: options.switchyardUrl,
    apiKey: options.serverKey,
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
  });
  const flags = OpenFeature.getClient(DOMAIN);
  flags.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
    log(`flags changed: ${(details?.flagsChanged ?? []).join(', ')}`),
  );
  flags.addHandler(ProviderEvents.Stale, () => log('Switchyard unreachable: serving the last ruleset'));
  // Waits for the first ruleset; if Switchyard is away, the service still starts and serves defaults.
  await OpenFeature.setProviderAndWait(DOMAIN, provider).catch((error: unknown) =>
    log(`starting without flags: ${String(error)}`),
  );

  const checkout = async (url: URL, res: ServerResponse) => {
    const context = {
      targetingKey: url.searchParams.get('user') ?? 'anonymous',
      country: url.searchParams.get('country') ?? '',
    };
    const body = await provider.client.measure('new-checkout', context, async (served) => {
      const variant = (await flags.getBooleanValue('new-checkout', false, context)) ? 'new' : 'classic';
      if (url.searchParams.get('fail') === '1') throw new Error(`the ${variant} checkout failed`);
      return { user: context.targetingKey, checkout: variant, variation: served.variation };
    });
    reply(res, 200, body);
  };
  const purchase = (url: URL, res: ServerResponse) => {
    const user = url.searchParams.get('user') ?? 'anonymous';
    flags.track('purchase', { targetingKey: user }, { value: Number(url.searchParams.get('amount') ?? 0) });
    reply(res, 202, { tracked: 'purchase', user });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const handled =
      route === 'GET /checkout'
        ? checkout(url, res)
        : route === 'POST /purchase'
          ? Promise.resolve(purchase(url, res))
          : Promise.resolve(reply(res, 404, { error: 'not found' }));
    handled.catch((error: unknown) => reply(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    provider,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Replacing the provider closes it, and closing sends the events still queued.
      await OpenFeature.setProviderAndWait(DOMAIN, NOOP_PROVIDER);
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
