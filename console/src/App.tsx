import { useEffect, useState } from 'react';
import type { Resource } from '../../shared/auth/permissions';
import { whenUnauthorized } from './api';
import { hostedUi } from './auth/config';
import { logoutUrl } from './auth/pkce';
import { ApiKeys } from './pages/ApiKeys';
import { Audit } from './pages/Audit';
import { ExperimentResults } from './pages/ExperimentResults';
import { Experiments } from './pages/Experiments';
import { FlagEditor } from './pages/FlagEditor';
import { Flags } from './pages/Flags';
import { Layers, Metrics, Segments } from './pages/resources';
import { RolloutDetail, Rollouts } from './pages/Rollouts';
import { Safety } from './pages/Safety';
import { SignIn } from './pages/SignIn';
import { Users } from './pages/Users';
import { navigate, usePath } from './router';
import { can, loadSession, saveSession, type Session } from './session';
import { Link } from './ui';

/** The sections of the console, in the menu's order, each shown to the roles that may read its resource. */
const SECTIONS: readonly { path: string; label: string; resource: Resource }[] = [
  { path: 'flags', label: 'Flags', resource: 'flags' },
  { path: 'rollouts', label: 'Rollouts', resource: 'rollouts' },
  { path: 'experiments', label: 'Experiments', resource: 'experiments' },
  { path: 'metrics', label: 'Metrics', resource: 'metrics' },
  { path: 'layers', label: 'Layers', resource: 'layers' },
  { path: 'segments', label: 'Segments', resource: 'segments' },
  { path: 'safety', label: 'Safety', resource: 'safety' },
  { path: 'audit', label: 'Audit log', resource: 'audit' },
  { path: 'api-keys', label: 'API keys', resource: 'apiKeys' },
  { path: 'users', label: 'Users', resource: 'users' },
];

function Screen({ session, path }: { session: Session; path: string }) {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [section = 'flags', key] = parts;
  const known = SECTIONS.find((s) => s.path === section);
  if (known !== undefined && !can(session, known.resource, 'read'))
    return (
      <section aria-labelledby="refused-title">
        <h1 id="refused-title">{known.label}</h1>
        <p>Your role ({session.role ?? 'none'}) may not see this screen.</p>
      </section>
    );
  if (section === 'flags' && key === 'new') return <FlagEditor session={session} flagKey={null} />;
  if (section === 'flags' && key !== undefined) return <FlagEditor session={session} flagKey={key} />;
  if (section === 'experiments' && key !== undefined)
    return <ExperimentResults session={session} experimentKey={key} />;
  if (section === 'experiments') return <Experiments session={session} />;
  if (section === 'rollouts' && key !== undefined) return <RolloutDetail session={session} id={key} />;
  if (section === 'rollouts') return <Rollouts session={session} />;
  if (section === 'metrics') return <Metrics session={session} />;
  if (section === 'layers') return <Layers session={session} />;
  if (section === 'segments') return <Segments session={session} />;
  if (section === 'safety') return <Safety session={session} />;
  if (section === 'audit') return <Audit session={session} />;
  if (section === 'api-keys') return <ApiKeys session={session} />;
  if (section === 'users') return <Users session={session} />;
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
          {SECTIONS.filter((s) => can(session, s.resource, 'read')).map((s) => (
            <Link
              key={s.path}
              to={`/${s.path}`}
              className={section === s.path ? 'current' : ''}
              current={section === s.path}
            >
              {s.label}
            </Link>
          ))}
        </nav>
        <span className="who">
          {session.email} <span className="badge">{session.role ?? 'no role'}</span>
        </span>
        <button
          type="button"
          onClick={() => {
            signIn(null);
            // In AWS, end the hosted UI's session too: otherwise the next sign-in passes straight through it.
            const ui = hostedUi();
            if (ui !== null) window.location.assign(logoutUrl(ui));
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <Screen session={session} path={path} />
      </main>
    </>
  );
}
