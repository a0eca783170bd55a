/**
 * The authorization-code flow with PKCE (RFC 7636, S256) against the Cognito hosted UI, as pure functions: crypto
 * and fetch are passed in, so the flow is tested under Node (test/unit/console-pkce.test.ts) and runs unchanged in
 * the browser (console/src/auth/hosted-ui.ts passes `window.crypto` and `fetch`).
 */

/** Where the hosted UI is and who the console is to it (from `/config.json`, console/src/auth/config.ts). */
export interface HostedUiConfig {
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, no trailing slash. */
  readonly domain: string;
  readonly clientId: string;
  /** The console's own URL, registered as the app client's callback (and sign-out) URL. */
  readonly redirectUri: string;
  readonly logoutUri: string;
  readonly scopes: readonly string[];
}

/** What of Web Crypto the flow uses. */
export interface PkceCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
  readonly subtle: { digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };
}

/** What of fetch the code exchange uses. */
export type TokenFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ readonly ok: boolean; readonly status: number; json(): Promise<unknown> }>;

/** What the console keeps in sessionStorage between leaving for the hosted UI and coming back. */
export interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
  /** The console path to return to once signed in. */
  readonly returnTo: string;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5), as RFC 7636 uses it. */
export function base64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64URL[(triple >> 18) & 63]! + BASE64URL[(triple >> 12) & 63]!;
    if (b !== undefined) out += BASE64URL[(triple >> 6) & 63]!;
    if (c !== undefined) out += BASE64URL[triple & 63]!;
  }
  return out;
}

/** 32 random bytes as base64url: 43 characters from the unreserved set, as RFC 7636 §4.1 recommends. */
export function randomToken(crypto: PkceCrypto): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2, S256). */
export async function codeChallenge(verifier: string, crypto: PkceCrypto): Promise<string> {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
    throw new Error('A PKCE code verifier is 43–128 unreserved characters (RFC 7636 §4.1)');
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** A new verifier and state, and the hosted UI's authorization URL that carries the verifier's challenge. */
export async function startSignIn(
  config: HostedUiConfig,
  crypto: PkceCrypto,
  returnTo: string,
): Promise<{ readonly url: string; readonly pending: PendingSignIn }> {
  const pending: PendingSignIn = { verifier: randomToken(crypto), state: randomToken(crypto), returnTo };
  const url = authorizeUrl(config, pending.state, await codeChallenge(pending.verifier, crypto));
  return { url, pending };
}

export function authorizeUrl(config: HostedUiConfig, state: string, challenge: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${config.domain}/oauth2/authorize?${query.toString()}`;
}

/** The hosted UI's sign-out: it ends the Cognito session too, then comes back to the console. */
export function logoutUrl(config: HostedUiConfig): string {
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri });
  return `${config.domain}/logout?${query.toString()}`;
}

/** What the hosted UI put in the callback's query: a code and the state, or an error. */
export type Callback =
  | { readonly kind: 'none' }
  | { readonly kind: 'code'; readonly code: string; readonly state: string }
  | { readonly kind: 'error'; readonly error: string; readonly description: string };

export function readCallback(search: string): Callback {
  const params = new URLSearchParams(search);
  const error = params.get('error');
  if (error !== null) return { kind: 'error', error, description: params.get('error_description') ?? '' };
  const code = params.get('code');
  const state = params.get('state');
  if (code === null || state === null) return { kind: 'none' };
  return { kind: 'code', code, state };
}

/** The state that came back is the one sent (CSRF, RFC 6749 §10.12): compared in full, never a prefix. */
export function stateMatches(expected: string | undefined, received: string): boolean {
  if (expected === undefined || expected.length === 0 || expected.length !== received.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i += 1) difference |= expected.charCodeAt(i) ^ received.charCodeAt(i);
  return difference === 0;
}

/** The token request of the authorization-code grant with the PKCE verifier (a public client: no secret). */
export function tokenRequest(
  config: HostedUiConfig,
  code: string,
  verifier: string,
): { readonly url: string; readonly init: Parameters<TokenFetch>[1] } {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code,
    redirect_uri: config.redirectUri,
    code_verifier: verifier,
  });
  return {
    url: `${config.domain}/oauth2/token`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    },
  };
}

export class SignInFailed extends Error {
  override readonly name = 'SignInFailed';
}

/**
 * Complete the callback: check the state against the pending sign-in, exchange the code for tokens and return
 * the ID token only (the console keeps nothing else: no access or refresh token).
 */
export async function completeSignIn(
  config: HostedUiConfig,
  callback: Extract<Callback, { kind: 'code' }>,
  pending: PendingSignIn | null,
  fetchTokens: TokenFetch,
): Promise<string> {
  if (pending === null || !stateMatches(pending.state, callback.state)) {
    throw new SignInFailed('The sign-in answer does not match a sign-in started here: sign in again.');
  }
  const { url, init } = tokenRequest(config, callback.code, pending.verifier);
  const response = await fetchTokens(url, init);
  const body = (await response.json().catch(() => null)) as { id_token?: unknown; error?: unknown } | null;
  if (!response.ok || typeof body?.id_token !== 'string') {
    const reason = typeof body?.error === 'string' ? body.error : `status ${response.status}`;
    throw new SignInFailed(`Cognito refused the sign-in (${reason}): sign in again.`);
  }
  return body.id_token;
}
