import { useState } from 'react';
import { ErrorMessage } from '../ui';
import { lastSignInError, signInWithHostedUi } from './hosted-ui';
import type { HostedUiConfig } from './pkce';

/**
 * The sign-in screen in AWS: one button to the Cognito hosted UI (authorization code with PKCE), which handles
 * passwords, MFA and resets. It shows what went wrong with the last attempt, if anything.
 */
export function HostedUiSignIn({ config }: { config: HostedUiConfig }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(() => lastSignInError());
  const start = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const here = window.location.pathname;
      await signInWithHostedUi(config, here === '/' ? '/flags' : here);
    } catch (problem) {
      setFailure(problem);
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Sign in to Switchyard</h1>
      <p className="hint">You sign in on this deployment’s Cognito page, then come back here.</p>
      <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
        {busy ? 'Going to sign-in…' : 'Sign in'}
      </button>
      {failure !== null && failure !== undefined ? <ErrorMessage error={failure} /> : null}
    </main>
  );
}
