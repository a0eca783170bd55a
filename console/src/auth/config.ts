import type { HostedUiConfig } from './pkce';

/**
 * Where the console runs, from `/config.json`. In AWS the console stack writes that file (lib/constructs/
 * console-hosting.ts: the Cognito hosted UI, the app client, the redirect URI); the local platform has none (its
 * gateway answers index.html there), and then the console uses the local platform's sign-in.
 */
export interface ConsoleConfig {
  readonly region: string;
  readonly apiUrl: string;
  readonly hostedUi: HostedUiConfig;
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** The console's configuration, or null when `json` is not the AWS one (absent, HTML, or incomplete). */
export function parseConsoleConfig(json: unknown): ConsoleConfig | null {
  if (typeof json !== 'object' || json === null) return null;
  const { region, apiUrl, cognito } = json as Record<string, unknown>;
  if (typeof cognito !== 'object' || cognito === null) return null;
  const { domain, clientId, redirectUri, logoutUri, scopes } = cognito as Record<string, unknown>;
  if (![region, apiUrl, domain, clientId, redirectUri, logoutUri].every(isString)) return null;
  if (!/^https:\/\/[^/]+$/.test(domain as string)) return null;
  const scopeList = Array.isArray(scopes) && scopes.every(isString) ? scopes : ['openid', 'email', 'profile'];
  return {
    region: region as string,
    apiUrl: apiUrl as string,
    hostedUi: {
      domain: domain as string,
      clientId: clientId as string,
      redirectUri: redirectUri as string,
      logoutUri: logoutUri as string,
      scopes: scopeList,
    },
  };
}

/** `/config.json`, read once at start-up; null on the local platform. */
export async function loadConsoleConfig(
  fetchJson: (
    url: string,
  ) => Promise<{ ok: boolean; headers: { get(name: string): string | null }; json(): Promise<unknown> }>,
): Promise<ConsoleConfig | null> {
  try {
    const response = await fetchJson('/config.json');
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !type.includes('json')) return null;
    return parseConsoleConfig(await response.json());
  } catch {
    return null;
  }
}

let current: ConsoleConfig | null = null;

/** Set once by main.tsx before the app renders. */
export function setConsoleConfig(config: ConsoleConfig | null): void {
  current = config;
}

/** The hosted UI the console signs in with, or null on the local platform. */
export function hostedUi(): HostedUiConfig | null {
  return current?.hostedUi ?? null;
}
