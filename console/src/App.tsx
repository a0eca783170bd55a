import { useEffect, useState } from 'react';
import { whenUnauthorized } from './api';
import { ExperimentResults } from './pages/ExperimentResults';
import { Experiments } from './pages/Experiments';
import { FlagEditor } from './pages/FlagEditor';
import { Flags } from './pages/Flags';
import { SignIn } from './pages/SignIn';
import { navigate, usePath } from './router';
import { loadSession, saveSession, type Session } from './session';
import { Link } from './ui';

function Screen({ session, path }: { session: Session; path: string }) {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [section, key] = parts;
  if (section === 'flags' && key === 'new') return <FlagEditor session={session} flagKey={null} />;
  if (section === 'flags' && key !== undefined) return <FlagEditor session={session} flagKey={key} />;
  if (section === 'experiments' && key !== undefined)
    return <ExperimentResults session={session} experimentKey={key} />;
  if (section === 'experiments') return <Experiments session={session} />;
  return <Flags session={session} />;
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const path = usePath();

  const signIn = (next: Session | null) => {
    saveSession(next);
    setSession(next);
  };
  useEffect(() => whenUnauthorized(() => signIn(null)), []);

  if (session === null)
    return (
      <SignIn
        onSignedIn={(next) => {
          signIn(next);
          if (path === '/') navigate('/flags');
        }}
      />
    );
  const section = path.split('/')[1] || 'flags';
  return (
    <>
      <header className="top">
        <a className="skip" href="#main">
          Skip to content
        </a>
        <span className="brand">Switchyard</span>
        <nav aria-label="Main">
          <Link to="/flags" className={section === 'flags' ? 'current' : ''}>
            Flags
          </Link>
          <Link to="/experiments" className={section === 'experiments' ? 'current' : ''}>
            Experiments
          </Link>
        </nav>
        <span className="who">
          {session.email} <span className="badge">{session.role ?? 'no role'}</span>
        </span>
        <button type="button" onClick={() => signIn(null)}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Screen session={session} path={path} />
      </main>
    </>
  );
}
