import { useEffect, useState, type FormEvent } from 'react';
import type { Page } from '../../../shared/pagination';
import type {
  FlagSafetyState,
  RollbackRecord,
  SafetyReport,
  SafetySettings,
} from '../../../shared/safety/schema';
import { call } from '../api';
import { can, type Session } from '../session';
import {
  ActionStatus,
  CheckField,
  DataTable,
  Link,
  listOf,
  RequestStatus,
  share,
  SubmitActions,
  SuccessMessage,
  useAction,
  useLoad,
  when,
} from '../ui';

type NumberField =
  'maxErrorRate' | 'maxLatencyP95Ms' | 'maxRelativeRegression' | 'minSampleSize' | 'windowMinutes' | 'alpha';

const NUMBER_FIELDS: readonly { name: NumberField; label: string; step: string }[] = [
  { name: 'maxErrorRate', label: 'Highest error rate (0–1)', step: '0.001' },
  { name: 'maxLatencyP95Ms', label: 'Highest p95 latency (ms)', step: '1' },
  { name: 'maxRelativeRegression', label: 'Tolerated regression (0.1 = +10 %)', step: '0.01' },
  { name: 'minSampleSize', label: 'Requests before judging', step: '1' },
  { name: 'windowMinutes', label: 'Window (minutes)', step: '1' },
  { name: 'alpha', label: 'False-alarm rate α', step: '0.001' },
];

type SettingsState = Record<NumberField, string> & {
  enabled: boolean;
  autoRollback: boolean;
  emails: string;
  eventBridge: boolean;
};

function settingsState(s: SafetySettings): SettingsState {
  return {
    enabled: s.enabled,
    autoRollback: s.autoRollback,
    eventBridge: s.notifications.eventBridge,
    emails: s.notifications.emails.join(', '),
    maxErrorRate: String(s.maxErrorRate),
    maxLatencyP95Ms: String(s.maxLatencyP95Ms),
    maxRelativeRegression: String(s.maxRelativeRegression),
    minSampleSize: String(s.minSampleSize),
    windowMinutes: String(s.windowMinutes),
    alpha: String(s.alpha),
  };
}

/** The stage's settings (ADMIN changes them; the others read them), saved at the version read. */
function Settings({ session }: { session: Session }) {
  const loaded = useLoad(
    () => call<SafetySettings>(session.token, 'GET', '/api/v1/safety/settings'),
    'safety-settings',
  );
  const [state, setState] = useState<SettingsState | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useAction();
  const editable = can(session, 'safety', 'manage');
  useEffect(() => {
    if (loaded.data !== null) setState(settingsState(loaded.data));
  }, [loaded.data]);
  const set = (change: Partial<SettingsState>) => setState((s) => (s === null ? s : { ...s, ...change }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (state === null || loaded.data === null) return;
    setSaved(null);
    const version = loaded.data.version;
    await save.run(async () => {
      const updated = await call<SafetySettings>(session.token, 'PUT', '/api/v1/safety/settings', {
        enabled: state.enabled,
        autoRollback: state.autoRollback,
        ...Object.fromEntries(NUMBER_FIELDS.map((f) => [f.name, Number(state[f.name])])),
        notifications: { emails: listOf(state.emails), eventBridge: state.eventBridge },
        version,
      });
      setSaved(`Saved: version ${updated.version}.`);
      loaded.reload();
    });
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="settings-title" className="panel">
      <h2 id="settings-title">Settings</h2>
      <RequestStatus loading={loaded.loading} error={loaded.error} />
      {state !== null && loaded.data !== null ? (
        <>
          <p className="hint">
            {loaded.data.version === 0
              ? 'The defaults: never saved.'
              : `Version ${loaded.data.version}, updated ${when(loaded.data.updatedAt)}.`}
            {editable ? '' : ' Read-only: only an admin changes them.'}
          </p>
          <fieldset disabled={!editable || save.busy} className="plain">
            <div className="checks">
              <CheckField
                label="Monitoring on"
                checked={state.enabled}
                onChange={(checked) => set({ enabled: checked })}
              />
              <CheckField
                label="Roll back automatically on a breach"
                checked={state.autoRollback}
                onChange={(checked) => set({ autoRollback: checked })}
              />
              <CheckField
                label="Put an EventBridge event on each rollback"
                checked={state.eventBridge}
                onChange={(checked) => set({ eventBridge: checked })}
              />
            </div>
            <div className="grid">
              {NUMBER_FIELDS.map((f) => (
                <label key={f.name}>
                  {f.label}
                  <input
                    type="number"
                    required
                    min={0}
                    step={f.step}
                    value={state[f.name]}
                    onChange={(e) => set({ [f.name]: e.target.value })}
                  />
                </label>
              ))}
              <label>
                Notify (emails, comma-separated)
                <input value={state.emails} onChange={(e) => set({ emails: e.target.value })} />
              </label>
            </div>
          </fieldset>
          <ActionStatus action={save} onReload={loaded.reload} />
          <SuccessMessage message={saved} />
          {editable ? <SubmitActions busy={save.busy}>Save settings</SubmitActions> : null}
        </>
      ) : null}
    </form>
  );
}

const percentOf = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(2)} %`);

function stateText(state: FlagSafetyState): string {
  const serve =
    'variation' in state.flag.fallthrough
      ? state.flag.fallthrough.variation
      : state.flag.fallthrough.allocations.map((a) => `${a.variation} ${share(a.weight)}`).join(' / ');
  const rollout =
    state.rollout === null
      ? ''
      : `; rollout ${state.rollout.key} ${state.rollout.status} at ${share(state.rollout.percentage)}`;
  return `flag ${state.flag.enabled ? 'on' : 'off'} (v${state.flag.version}), serving ${serve}${rollout}`;
}

/** Rollback records: who or what rolled back, why, what it changed, and the figures it saw. */
function Rollbacks({ records }: { records: readonly RollbackRecord[] }) {
  return (
    <DataTable
      caption="Rollbacks, newest first"
      rows={records}
      rowKey={(r) => r.id}
      empty="No rollback yet."
      columns={[
        { header: 'When', cell: (r) => when(r.at) },
        { header: 'Flag', rowHeader: true, cell: (r) => r.flagKey },
        { header: 'Trigger', cell: (r) => `${r.trigger} by ${r.byName ?? r.by}` },
        { header: 'Done', cell: (r) => r.applied.replace(/_/g, ' ') },
        { header: 'Reason', cell: (r) => r.reason },
        {
          header: 'Snapshot',
          cell: (r) => (
            <details>
              <summary>Before, after and figures</summary>
              <p>
                <strong>Before:</strong> {stateText(r.previousState)}
              </p>
              <p>
                <strong>After:</strong> {stateText(r.resultingState)}
              </p>
              <pre>
                {r.metricsSnapshot === null
                  ? 'No figures (manual).'
                  : JSON.stringify(r.metricsSnapshot, null, 2)}
              </pre>
            </details>
          ),
        },
      ]}
    />
  );
}

type ReportFlag = SafetyReport['flags'][number];

/** One monitored flag: its health with the monitor's figures per variation, and a manual rollback. */
function FlagHealth({
  session,
  flag,
  onRolledBack,
}: {
  session: Session;
  flag: ReportFlag;
  onRolledBack: () => void;
}) {
  const [reason, setReason] = useState('');
  const rollBack = useAction();
  const health = flag.health;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await rollBack.run(() =>
      call(session.token, 'POST', `/api/v1/safety/rollback/${encodeURIComponent(flag.flagKey)}`, { reason }),
    );
    if (ok) {
      setReason('');
      onRolledBack();
    }
  };
  return (
    <article className="panel" aria-labelledby={`health-${flag.flagKey}`}>
      <h3 id={`health-${flag.flagKey}`}>
        <Link to={`/flags/${encodeURIComponent(flag.flagKey)}`}>{flag.flagKey}</Link>{' '}
        <span
          className={`badge ${health === undefined ? '' : health.healthy ? 'good' : 'bad'}`}
          data-testid={`health-${flag.flagKey}`}
        >
          {health === undefined ? 'not measured' : health.healthy ? 'healthy' : 'breached'}
        </span>
      </h3>
      <p className="hint">
        Monitoring {flag.effective.enabled ? 'on' : 'off'} · rollback action{' '}
        {flag.effective.action.replace('_', ' ')} ·{' '}
        {flag.effective.autoRollback ? 'automatic' : 'by hand only'} · window {flag.effective.windowMinutes}{' '}
        min
        {flag.rollout !== null
          ? ` · rollout ${flag.rollout.key} ${flag.rollout.status}, ${flag.rollout.variation} at ${share(flag.rollout.percentage)}`
          : ''}
      </p>
      {health?.reason !== null && health?.reason !== undefined ? (
        <p className="warn-text">{health.reason}</p>
      ) : null}
      {health !== undefined ? (
        <DataTable
          caption={`Figures of ${flag.flagKey} over the window`}
          rows={health.variations}
          rowKey={(v) => v.guarded.variation}
          empty="No variation measured."
          columns={[
            {
              header: 'Variation',
              rowHeader: true,
              cell: (v) =>
                `${v.guarded.variation}${v.control !== null ? ` (vs ${v.control.variation})` : ''}`,
            },
            { header: 'Requests', cell: (v) => v.guarded.window.requests },
            { header: 'Errors', cell: (v) => v.guarded.window.errors },
            {
              header: 'Error rate',
              cell: (v) =>
                percentOf(
                  v.guarded.window.requests === 0
                    ? null
                    : v.guarded.window.errors / v.guarded.window.requests,
                ),
            },
            {
              header: 'p95 latency',
              cell: (v) =>
                v.guarded.window.latencyP95Ms === null
                  ? '—'
                  : `${Number(v.guarded.window.latencyP95Ms.toFixed(1))} ms`,
            },
            {
              header: 'Checks',
              cell: (v) => (
                <ul className="checks-list">
                  {v.checks.map((c) => (
                    <li key={c.check} className={c.breached ? 'warn-text' : undefined}>
                      {c.check.replace(/_/g, ' ')}:{' '}
                      {c.evaluated ? (c.breached ? 'breached' : 'ok') : 'too few requests'}{' '}
                      <span className="hint">({c.message})</span>
                    </li>
                  ))}
                </ul>
              ),
            },
          ]}
        />
      ) : null}
      {can(session, 'safety', 'update') ? (
        <form onSubmit={(e) => void submit(e)} className="row" aria-label={`Roll back ${flag.flagKey}`}>
          <label>
            Reason for rolling back {flag.flagKey}
            <input required value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="submit" className="danger" disabled={rollBack.busy}>
            Roll back now
          </button>
        </form>
      ) : null}
      <ActionStatus action={rollBack} busyText="Rolling back…" />
    </article>
  );
}

/**
 * Safety: the settings, each monitored flag's health with the figures of GET /safety/report, and the
 * rollbacks with their snapshots. Read every 10 seconds while open, as the monitor's figures move.
 */
export function Safety({ session }: { session: Session }) {
  const report = useLoad(
    async () => {
      const [r, rollbacks] = await Promise.all([
        call<SafetyReport>(session.token, 'GET', '/api/v1/safety/report'),
        call<Page<RollbackRecord>>(session.token, 'GET', '/api/v1/safety/rollbacks?page_size=50'),
      ]);
      return { report: r, rollbacks: rollbacks.items };
    },
    'safety-report',
    10_000,
  );
  const data = report.data;
  return (
    <section aria-labelledby="safety-title">
      <div className="title-row">
        <h1 id="safety-title">Safety</h1>
        <button type="button" onClick={report.reload} disabled={report.loading}>
          Refresh
        </button>
      </div>
      <Settings session={session} />
      <h2>Monitored flags</h2>
      <RequestStatus loading={report.loading && data === null} error={report.error} />
      {data !== null ? (
        <>
          <p className="hint">
            Report of {when(data.report.generatedAt)}; monitoring is {data.report.enabled ? 'on' : 'off'} for
            the stage.
          </p>
          {data.report.flags.length === 0 ? (
            <p>
              No flag is monitored: a flag is while its rollout runs, or when its own safety config turns it
              on.
            </p>
          ) : (
            data.report.flags.map((flag) => (
              <FlagHealth key={flag.flagKey} session={session} flag={flag} onRolledBack={report.reload} />
            ))
          )}
          <h2>Rollbacks</h2>
          <Rollbacks records={data.rollbacks} />
        </>
      ) : null}
    </section>
  );
}
