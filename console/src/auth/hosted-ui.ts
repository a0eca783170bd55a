import { saveSession, sessionOf, type Session } from '../session';
import {
  completeSignIn,
  readCallback,
  SignInFailed,
  startSignIn,
  type HostedUiConfig,
  type PendingSignIn,
} from './pkce';

/**
 * The hosted UI sign-in in the browser. Between leaving for Cognito and coming back, sessionStorage holds the
 * PKCE verifier and the state (gone with the tab, and removed as soon as the callback is read); afterwards it holds
 * the ID token only (session.ts). Nothing goes to localStorage.
 */
const PENDING_KEY = 'switchyard.sign-in';

let lastError: Error | null = null;

/** Why the last callback did not sign the user in (shown on the sign-in screen), or null. */
export function lastSignInError(): Error | null {
  return lastError;
}

/** Leave for the hosted UI; the console comes back to `returnTo` once signed in. */
export async function signInWithHostedUi(config: HostedUiConfig, returnTo: string): Promise<void> {
  const { url, pending } = await startSignIn(config, window.crypto, returnTo);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(url);
}

function takePending(): PendingSignIn | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (raw === null) return null;
  try {
    const pending = JSON.parse(raw) as Partial<PendingSignIn>;
    return typeof pending.verifier === 'string' && typeof pending.state === 'string'
      ? { verifier: pending.verifier, state: pending.state, returnTo: pending.returnTo ?? '/' }
      : null;
  } catch {
    return null;
  }
}

/**
 * On start-up: when the URL is the hosted UI's callback (`?code&state` or `?error`), finish the sign-in — the
 * session is saved, the query leaves the address bar and history — or `lastSignInError()` says why not.
 */
export async function finishHostedUiSignIn(config: HostedUiConfig): Promise<void> {
  lastError = await finish(config);
}

async function finish(config: HostedUiConfig): Promise<Error | null> {
  const callback = readCallback(window.location.search);
  if (callback.kind === 'none') return null;
  const pending = takePending();
  const returnTo = pending?.returnTo.startsWith('/') ? pending.returnTo : '/';
  // The code is single-use and the page must not be reloaded with it: drop the query whatever happens next.
  window.history.replaceState(null, '', callback.kind === 'code' ? returnTo : '/');
  if (callback.kind === 'error') {
    return new SignInFailed(`Cognito did not sign you in: ${callback.description || callback.error}`);
  }
  try {
    const token = await completeSignIn(config, callback, pending, (url, init) => fetch(url, init));
    const session: Session | null = sessionOf(token);
    if (session === null) throw new SignInFailed('Cognito answered a token the console cannot read');
    saveSession(session);
    return null;
  } catch (error) {
    return error instanceof Error ? error : new SignInFailed(String(error));
  }
}
