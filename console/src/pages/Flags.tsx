import { useState } from 'react';
import type { Flag } from '../../../shared/flags/requests';
import type { Page } from '../../../shared/pagination';
import { call } from '../api';
import { can, type Session } from '../session';
import { CheckField, ConfirmDialog, ErrorMessage, Link, RequestStatus, useLoad } from '../ui';

interface Filters {
  readonly q: string;
  readonly tag: string;
  readonly enabled: '' | 'true' | 'false';
  readonly stale: boolean;
}

function query(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ page_size: '100', ...extra });
  if (filters.q.trim() !== '') params.set('q', filters.q.trim());
  if (filters.tag.trim() !== '') params.set('tag', filters.tag.trim());
  if (filters.enabled !== '') params.set('enabled', filters.enabled);
  if (filters.stale) params.set('stale', 'true');
  return params.toString();
}

/** The flags, filtered by the API (`?q=&tag=&enabled=&stale=`), with the stale ones badged. */
export function Flags({ session }: { session: Session }) {
  const [filters, setFilters] = useState<Filters>({ q: '', tag: '', enabled: '', stale: false });
  const [toggling, setToggling] = useState<Flag | null>(null);
  const [toggleError, setToggleError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const flags = useLoad(async () => {
    const [page, stale] = await Promise.all([
      call<Page<Flag>>(session.token, 'GET', `/api/v1/feature-flags?${query(filters)}`),
      call<Page<Flag>>(session.token, 'GET', '/api/v1/feature-flags?page_size=100&stale=true'),
    ]);
    return { page, stale: new Set(stale.items.map((f) => f.key)) };
  }, query(filters));
  const mayCreate = can(session, 'flags', 'create');
  const mayUpdate = can(session, 'flags', 'update');
  const set = (change: Partial<Filters>) => setFilters((f) => ({ ...f, ...change }));

  const toggle = async (flag: Flag) => {
    setBusy(true);
    setToggleError(null);
    try {
      await call(session.token, 'POST', `/api/v1/feature-flags/${encodeURIComponent(flag.key)}/toggle`, {
        enabled: !flag.enabled,
        version: flag.version,
      });
      flags.reload();
    } catch (error) {
      setToggleError(error);
    } finally {
      setBusy(false);
      setToggling(null);
    }
  };

  return (
    <section aria-labelledby="flags-title">
      <div className="title-row">
        <h1 id="flags-title">Feature flags</h1>
        {mayCreate ? (
          <Link to="/flags/new" className="button primary">
            New flag
          </Link>
        ) : null}
      </div>
      <form className="filters" role="search" aria-label="Filter flags" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={filters.q} onChange={(e) => set({ q: e.target.value })} />
        </label>
        <label>
          Tag
          <input value={filters.tag} onChange={(e) => set({ tag: e.target.value })} />
        </label>
        <label>
          State
          <select
            value={filters.enabled}
            onChange={(e) => set({ enabled: e.target.value as Filters['enabled'] })}
          >
            <option value="">any</option>
            <option value="true">on</option>
            <option value="false">off</option>
          </select>
        </label>
        <CheckField
          label="Stale only"
          checked={filters.stale}
          onChange={(checked) => set({ stale: checked })}
        />
      </form>
      <RequestStatus loading={flags.loading} error={flags.error} />
      {toggleError !== null ? <ErrorMessage error={toggleError} onReload={flags.reload} /> : null}
      {flags.data !== null ? (
        flags.data.page.items.length === 0 ? (
          <p>No flag matches.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">
                {flags.data.page.total} flags{flags.data.page.total > 100 ? ' (first 100 shown)' : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Tags</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {flags.data.page.items.map((flag) => (
                  <tr key={flag.key}>
                    <td>
                      <Link to={`/flags/${encodeURIComponent(flag.key)}`}>{flag.key}</Link>
                      {flags.data?.stale.has(flag.key) ? (
                        <span className="badge warn" title="Temporary and unchanged for 30 days">
                          stale
                        </span>
                      ) : null}
                    </td>
                    <td>{flag.name}</td>
                    <td>{flag.kind}</td>
                    <td>{flag.tags.join(', ')}</td>
                    <td>
                      <span className={`state ${flag.enabled ? 'on' : 'off'}`}>
                        {flag.enabled ? 'On' : 'Off'}
                      </span>
                      {mayUpdate ? (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => setToggling(flag)}
                          aria-label={`Turn ${flag.key} ${flag.enabled ? 'off' : 'on'}`}
                        >
                          Turn {flag.enabled ? 'off' : 'on'}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {toggling !== null ? (
        <ConfirmDialog
          question={`Turn ${toggling.key} ${toggling.enabled ? 'off' : 'on'}? It changes what every SDK serves within seconds.`}
          confirmLabel={`Turn ${toggling.enabled ? 'off' : 'on'}`}
          onCancel={() => setToggling(null)}
          onConfirm={() => void toggle(toggling)}
        />
      ) : null}
    </section>
  );
}
