import { useState, type FormEvent } from 'react';
import { ROLES, type Role } from '../../../shared/auth/roles';
import { call } from '../api';
import { hostedUi } from '../auth/config';
import { HostedUiSignIn } from '../auth/HostedUiSignIn';
import { sessionOf, type Session } from '../session';
import { ErrorMessage } from '../ui';

/** In AWS (a `/config.json` naming the hosted UI) the Cognito hosted UI, with PKCE; locally the form below. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const config = hostedUi();
  return config === null ? <LocalSignIn onSignedIn={onSignedIn} /> : <HostedUiSignIn config={config} />;
}

/**
 * The local platform's sign-in (POST /local/sign-in): anyone on this machine may sign in as any user, as
 * `npm run token` allows.
 */
function LocalSignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('admin@switchyard.local');
  const [role, setRole] = useState<Role>('admin');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await call<{ token: string }>(null, 'POST', '/local/sign-in', { email, role });
      const session = sessionOf(answer.token);
      if (session === null) throw new Error('The sign-in answered a token the console cannot read');
      onSignedIn(session);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Sign in to Switchyard</h1>
      <p className="hint">
        Local platform: sign in as any user of this machine. A new email is created with the role chosen
        below; an existing user keeps the role an admin gave them.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Email
          <input
            type="email"
            required
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Role for a new user
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error !== null ? <ErrorMessage error={error} /> : null}
    </main>
  );
}
