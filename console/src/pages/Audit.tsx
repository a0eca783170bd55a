import { useState, type FormEvent } from 'react';
import type { AuditEntry, AuditResourceKind } from '../../../shared/audit/schema';
import type { Page } from '../../../shared/pagination';
import { call, download } from '../api';
import { diffRows } from '../diff';
import type { Session } from '../session';
import { ActionStatus, DataTable, RequestStatus, SuccessMessage, useAction, useLoad, when } from '../ui';

/** Every kind the log records (a Record, so that the compiler names a kind left out). */
const KINDS: Readonly<Record<AuditResourceKind, string>> = {
  flag: 'flags',
  segment: 'segments',
  experiment: 'experiments',
  layer: 'layers',
  metric: 'metrics',
  rollout: 'rollout schedules',
  safetySettings: 'safety settings',
  safetyConfig: 'per-flag safety configs',
  user: 'users',
  apiKey: 'API keys',
  safetyRollback: 'safety rollbacks',
};

interface Filters {
  readonly resourceKind: string;
  readonly resourceKey: string;
  readonly actor: string;
  /** `datetime-local` values, in the browser's time zone. */
  readonly from: string;
  readonly to: string;
}

const NO_FILTERS: Filters = { resourceKind: '', resourceKey: '', actor: '', from: '', to: '' };

function query(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.resourceKind !== '') params.set('resourceKind', filters.resourceKind);
  if (filters.resourceKey.trim() !== '') params.set('resourceKey', filters.resourceKey.trim());
  if (filters.actor.trim() !== '') params.set('actor', filters.actor.trim());
  if (filters.from !== '') params.set('from', new Date(filters.from).toISOString());
  if (filters.to !== '') params.set('to', new Date(filters.to).toISOString());
  return params;
}

function Diff({ entry }: { entry: AuditEntry }) {
  if (entry.bodyOmitted === true)
    return <p className="hint">This entry is too large for a list page; export it to read its body.</p>;
  const rows = diffRows(entry.before, entry.after);
  return (
    <DataTable
      caption={`Changes of ${entry.action} on ${entry.resourceKind} ${entry.resourceKey}`}
      rows={rows}
      rowKey={(r) => r.path}
      empty="No field changed (apart from the version)."
      columns={[
        { header: 'Field', rowHeader: true, cell: (r) => <code>{r.path}</code> },
        { header: 'Before', cell: (r) => (r.before === undefined ? '—' : <del>{r.before}</del>) },
        { header: 'After', cell: (r) => (r.after === undefined ? '—' : <ins>{r.after}</ins>) },
      ]}
    />
  );
}

/**
 * The audit log: every change, newest first, filtered by resource, actor and time (the API's default window
 * is the last 30 days); each entry's before/after as a diff; and the same entries as an NDJSON download.
 */
export function Audit({ session }: { session: Session }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [open, setOpen] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const exporting = useAction();
  const params = query(filters).toString();
  const entries = useLoad(
    () =>
      call<Page<AuditEntry>>(
        session.token,
        'GET',
        `/api/v1/audit?page_size=100${params === '' ? '' : `&${params}`}`,
      ),
    params,
  );
  const set = (change: Partial<Filters>) => setDraft((f) => ({ ...f, ...change }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setOpen(null);
    setFilters(draft);
  };
  const exportNdjson = () =>
    void exporting.run(async () => {
      setExported(null);
      const bytes = await download(
        session.token,
        `/api/v1/audit/export${params === '' ? '' : `?${params}`}`,
        'switchyard-audit.ndjson',
      );
      setExported(`Downloaded switchyard-audit.ndjson (${bytes} bytes).`);
    });
  const selected = entries.data?.items.find((e) => e.id === open);

  return (
    <section aria-labelledby="audit-title">
      <div className="title-row">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" onClick={exportNdjson} disabled={exporting.busy}>
          Export NDJSON
        </button>
      </div>
      <ActionStatus action={exporting} busyText="Exporting…" />
      <SuccessMessage message={exported} />
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        <label>
          Resource kind
          <select value={draft.resourceKind} onChange={(e) => set({ resourceKind: e.target.value })}>
            <option value="">any</option>
            {Object.entries(KINDS).map(([kind, label]) => (
              <option key={kind} value={kind}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource key
          <input value={draft.resourceKey} onChange={(e) => set({ resourceKey: e.target.value })} />
        </label>
        <label>
          Actor (sub or system:job)
          <input value={draft.actor} onChange={(e) => set({ actor: e.target.value })} />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <button type="submit" className="primary">
          Apply filters
        </button>
      </form>
      <RequestStatus loading={entries.loading} error={entries.error} />
      {entries.data !== null ? (
        <DataTable
          caption={`${entries.data.total} entries${entries.data.total > 100 ? ' (newest 100 shown)' : ''}`}
          rows={entries.data.items}
          rowKey={(e) => e.id}
          empty="No entry matches."
          columns={[
            { header: 'When', cell: (e) => when(e.at) },
            { header: 'Who', cell: (e) => e.actorName ?? e.actor },
            { header: 'Action', rowHeader: true, cell: (e) => e.action },
            { header: 'Resource', cell: (e) => `${e.resourceKind} ${e.resourceKey}` },
            {
              header: 'Changes',
              cell: (e) => (
                <button
                  type="button"
                  aria-expanded={open === e.id}
                  aria-controls="audit-diff"
                  aria-label={`${open === e.id ? 'Hide' : 'Show'} changes of ${e.action} ${e.resourceKey} at ${when(e.at)}`}
                  onClick={() => setOpen(open === e.id ? null : e.id)}
                >
                  {open === e.id ? 'Hide' : 'Show'}
                </button>
              ),
            },
          ]}
        />
      ) : null}
      <div id="audit-diff" aria-live="polite">
        {selected !== undefined ? <Diff entry={selected} /> : null}
      </div>
    </section>
  );
}
