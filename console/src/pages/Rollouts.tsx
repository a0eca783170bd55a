import { useEffect, useState, type FormEvent } from 'react';
import type { Flag } from '../../../shared/flags/requests';
import type { Page } from '../../../shared/pagination';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import type { RolloutInput } from '../../../shared/rollouts/schema';
import { call } from '../api';
import { navigate } from '../router';
import { can, type Session } from '../session';
import {
  ActionStatus,
  DataTable,
  Link,
  PageTable,
  PercentField,
  RequestStatus,
  share,
  SubmitActions,
  useAction,
  useLoad,
  when,
} from '../ui';

type Trigger = RolloutInput['stages'][number]['trigger'];

interface StageState {
  readonly percent: string;
  readonly type: 'time' | 'at' | 'manual';
  /** ISO-8601 duration for `time`, a local date-time for `at`. */
  readonly value: string;
}

function triggerText(trigger: Trigger): string {
  switch (trigger.type) {
    case 'time':
      return trigger.after === 'PT0S' ? 'at once' : `after ${trigger.after}`;
    case 'at':
      return `at ${when(trigger.timestamp)}`;
    case 'manual':
      return 'by hand (Advance)';
    case 'metric':
      return `when ${trigger.metric} ${trigger.maxValue !== undefined ? `≤ ${trigger.maxValue}` : ''}${trigger.minValue !== undefined ? ` ≥ ${trigger.minValue}` : ''} over ${trigger.minSampleSize} requests`;
  }
}

/** The share the rolled-out variation is served now: the entered stage's, 0 before the start. */
const currentShare = (schedule: RolloutSchedule): number =>
  schedule.currentStage < 0 ? 0 : (schedule.stages[schedule.currentStage]?.percentage ?? 0);

function stageInput(stage: StageState, index: number): RolloutInput['stages'][number] {
  const percentage = Math.round(Number(stage.percent) * 100);
  if (stage.percent.trim() === '' || !Number.isFinite(percentage))
    throw new Error(`Stage ${index + 1}: the share must be a percentage`);
  const trigger: Trigger =
    stage.type === 'time'
      ? { type: 'time', after: stage.value.trim() === '' ? 'PT0S' : stage.value.trim() }
      : stage.type === 'at'
        ? { type: 'at', timestamp: new Date(stage.value).toISOString() }
        : { type: 'manual' };
  return { percentage, trigger };
}

/** Rollout schedules: each one's flag, status and current share, and a form to schedule a ramp. */
export function Rollouts({ session }: { session: Session }) {
  const rollouts = useLoad(
    () => call<Page<RolloutSchedule>>(session.token, 'GET', '/api/v1/rollout-schedules?page_size=100'),
    'rollouts',
  );
  const mayCreate = can(session, 'rollouts', 'create');
  return (
    <section aria-labelledby="rollouts-title">
      <div className="title-row">
        <h1 id="rollouts-title">Rollout schedules</h1>
        <button type="button" onClick={rollouts.reload} disabled={rollouts.loading}>
          Refresh
        </button>
      </div>
      <RequestStatus loading={rollouts.loading} error={rollouts.error} />
      <PageTable
        page={rollouts.data}
        noun="rollout schedules"
        rowKey={(r) => r.key}
        empty="No rollout schedule yet."
        columns={[
          {
            header: 'Schedule',
            rowHeader: true,
            cell: (r) => <Link to={`/rollouts/${encodeURIComponent(r.key)}`}>{r.key}</Link>,
          },
          {
            header: 'Flag',
            cell: (r) => <Link to={`/flags/${encodeURIComponent(r.flagKey)}`}>{r.flagKey}</Link>,
          },
          { header: 'Variation', cell: (r) => r.variation },
          { header: 'Status', cell: (r) => <span className="badge">{r.status}</span> },
          {
            header: 'Current share',
            cell: (r) =>
              `${share(currentShare(r))} (stage ${r.currentStage < 0 ? '—' : r.currentStage + 1} of ${r.stages.length})`,
          },
        ]}
      />
      {mayCreate ? <NewRollout session={session} /> : null}
    </section>
  );
}

function NewRollout({ session }: { session: Session }) {
  const flags = useLoad(
    () => call<Page<Flag>>(session.token, 'GET', '/api/v1/feature-flags?page_size=100'),
    'rollout-flags',
  );
  const [key, setKey] = useState('');
  const [flagKey, setFlagKey] = useState('');
  const [variation, setVariation] = useState('');
  const [startAt, setStartAt] = useState('');
  const [stages, setStages] = useState<readonly StageState[]>([
    { percent: '10', type: 'time', value: 'PT0S' },
    { percent: '50', type: 'time', value: 'P1D' },
    { percent: '100', type: 'time', value: 'P1D' },
  ]);
  const save = useAction();
  const flag = flags.data?.items.find((f) => f.key === flagKey);
  const setStage = (i: number, change: Partial<StageState>) =>
    setStages((all) => all.map((s, j) => (j === i ? { ...s, ...change } : s)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.run(async () => {
      const body: RolloutInput = {
        ...(key.trim() === '' ? {} : { key: key.trim() }),
        flagKey,
        variation,
        stages: stages.map(stageInput),
        ...(startAt === '' ? {} : { startAt: new Date(startAt).toISOString() }),
      };
      const created = await call<RolloutSchedule>(session.token, 'POST', '/api/v1/rollout-schedules', body);
      navigate(`/rollouts/${encodeURIComponent(created.key)}`);
    });
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="new-rollout-title" className="panel">
      <h2 id="new-rollout-title">New rollout schedule</h2>
      <RequestStatus loading={flags.loading} error={flags.error} />
      <fieldset disabled={save.busy} className="plain">
        <div className="grid">
          <label>
            Flag
            <select
              required
              value={flagKey}
              onChange={(e) => {
                setFlagKey(e.target.value);
                setVariation('');
              }}
            >
              <option value="">Choose a flag</option>
              {flags.data?.items.map((f) => (
                <option key={f.key}>{f.key}</option>
              ))}
            </select>
          </label>
          <label>
            Variation to roll out
            <select required value={variation} onChange={(e) => setVariation(e.target.value)}>
              <option value="">Choose a variation</option>
              {flag?.variations.map((v) => (
                <option key={v.key}>{v.key}</option>
              ))}
            </select>
          </label>
          <label>
            Schedule id (optional)
            <input
              value={key}
              onChange={(e) => setKey(e.target.value)}
              pattern="[a-z0-9][a-z0-9._\-]{0,63}"
            />
          </label>
          <label>
            Start at (optional; else Start now)
            <input type="datetime-local" value={startAt} onChange={(e) => setStartAt(e.target.value)} />
          </label>
        </div>
        <p className="hint">
          Each stage’s trigger counts from when the previous stage began; durations are ISO-8601 (PT0S at
          once, PT30M, P1D).
        </p>
        {stages.map((stage, i) => (
          <fieldset key={i} className="row stage">
            <legend>Stage {i + 1}</legend>
            <PercentField
              label="Share %"
              required
              value={stage.percent}
              onChange={(percent) => setStage(i, { percent })}
            />
            <label>
              Trigger
              <select
                value={stage.type}
                onChange={(e) => setStage(i, { type: e.target.value as StageState['type'], value: '' })}
              >
                <option value="time">after a duration</option>
                <option value="at">at a time</option>
                <option value="manual">by hand</option>
              </select>
            </label>
            {stage.type === 'time' ? (
              <label>
                After
                <input
                  value={stage.value}
                  placeholder="PT1H"
                  onChange={(e) => setStage(i, { value: e.target.value })}
                />
              </label>
            ) : stage.type === 'at' ? (
              <label>
                At
                <input
                  type="datetime-local"
                  required
                  value={stage.value}
                  onChange={(e) => setStage(i, { value: e.target.value })}
                />
              </label>
            ) : null}
            {stages.length > 1 ? (
              <button
                type="button"
                className="danger"
                onClick={() => setStages((all) => all.filter((_, j) => j !== i))}
              >
                Remove stage {i + 1}
              </button>
            ) : null}
          </fieldset>
        ))}
        <button
          type="button"
          onClick={() => setStages((all) => [...all, { percent: '100', type: 'time', value: 'P1D' }])}
        >
          Add stage
        </button>
      </fieldset>
      <ActionStatus action={save} />
      <SubmitActions busy={save.busy}>Create schedule</SubmitActions>
    </form>
  );
}

const WATCHED = new Set(['PENDING', 'ACTIVE']);

/**
 * One schedule: its stages as a timeline (entered, current, to come), the current share, the actions its status
 * allows, and its history. While it may move by itself (PENDING with a start time, ACTIVE) the screen reads it
 * again every 2 seconds.
 */
export function RolloutDetail({ session, id }: { session: Session; id: string }) {
  const [watching, setWatching] = useState(true);
  const loaded = useLoad(
    () => call<RolloutSchedule>(session.token, 'GET', `/api/v1/rollout-schedules/${encodeURIComponent(id)}`),
    id,
    watching ? 2000 : undefined,
  );
  const act = useAction();
  const mayUpdate = can(session, 'rollouts', 'update');
  const mayDelete = can(session, 'rollouts', 'delete');
  const s = loaded.data;
  const moving = s === null || WATCHED.has(s.status);
  useEffect(() => setWatching(moving), [moving]);

  const transition = (action: 'advance' | 'pause' | 'resume') =>
    void act.run(async () => {
      if (s === null) return;
      await call(session.token, 'POST', `/api/v1/rollout-schedules/${encodeURIComponent(id)}/${action}`, {
        version: s.version,
      });
      loaded.reload();
    });
  const remove = () =>
    void act.run(async () => {
      if (s === null) return;
      await call(
        session.token,
        'DELETE',
        `/api/v1/rollout-schedules/${encodeURIComponent(id)}?version=${s.version}`,
      );
      navigate('/rollouts');
    });

  return (
    <section aria-labelledby="rollout-title">
      <p>
        <Link to="/rollouts">← All rollout schedules</Link>
      </p>
      <div className="title-row">
        <h1 id="rollout-title">Rollout {id}</h1>
        <button type="button" onClick={loaded.reload} disabled={loaded.loading}>
          Refresh
        </button>
      </div>
      <RequestStatus loading={loaded.loading && s === null} error={loaded.error} />
      {s !== null ? (
        <>
          <p className="hint">
            Flag <Link to={`/flags/${encodeURIComponent(s.flagKey)}`}>{s.flagKey}</Link>, rolling out{' '}
            <strong>{s.variation}</strong>
            {s.replacedVariation !== undefined ? ` in place of ${s.replacedVariation}` : ''} · version{' '}
            {s.version}
            {s.startAt !== undefined && s.status === 'PENDING' ? ` · starts ${when(s.startAt)}` : ''}
            {moving ? ' · updating every 2 s' : ''}
          </p>
          <div className="figures">
            <p>
              Status <strong data-testid="rollout-status">{s.status}</strong>
            </p>
            <p>
              Current share{' '}
              <strong data-testid="rollout-share" aria-live="polite">
                {share(currentShare(s))}
              </strong>
            </p>
            <p>
              Stage{' '}
              <strong data-testid="rollout-stage">
                {s.currentStage < 0 ? 'not started' : `${s.currentStage + 1} of ${s.stages.length}`}
              </strong>
            </p>
          </div>
          <ol className="timeline" aria-label="Stages">
            {s.stages.map((stage, i) => {
              const state = i < s.currentStage ? 'done' : i === s.currentStage ? 'current' : 'next';
              const entered = [...s.history].reverse().find((h) => h.stage === i && h.action === 'advance');
              return (
                <li key={i} className={state} aria-current={state === 'current' ? 'step' : undefined}>
                  <strong>{share(stage.percentage)}</strong> {triggerText(stage.trigger)}
                  <span className="hint">
                    {state === 'next' ? ' · to come' : ` · entered ${when(entered?.at)}`}
                  </span>
                </li>
              );
            })}
          </ol>
          {mayUpdate || mayDelete ? (
            <div className="row">
              {mayUpdate && (s.status === 'PENDING' || s.status === 'ACTIVE') ? (
                <button
                  type="button"
                  className="primary"
                  disabled={act.busy}
                  onClick={() => transition('advance')}
                >
                  {s.status === 'PENDING' ? 'Start now' : 'Advance to the next stage'}
                </button>
              ) : null}
              {mayUpdate && s.status === 'ACTIVE' ? (
                <button type="button" disabled={act.busy} onClick={() => transition('pause')}>
                  Pause
                </button>
              ) : null}
              {mayUpdate && s.status === 'PAUSED' ? (
                <button type="button" disabled={act.busy} onClick={() => transition('resume')}>
                  Resume
                </button>
              ) : null}
              {mayDelete && s.status !== 'ACTIVE' ? (
                <button type="button" className="danger" disabled={act.busy} onClick={remove}>
                  Delete schedule
                </button>
              ) : null}
            </div>
          ) : null}
          <ActionStatus action={act} busyText="Working…" onReload={loaded.reload} />
          <DataTable
            caption="History"
            rows={[...s.history].reverse()}
            rowKey={(h) => `${h.at}-${h.stage}-${h.action}`}
            empty="No stage entered yet."
            columns={[
              { header: 'When', cell: (h) => when(h.at) },
              { header: 'Action', cell: (h) => (h.action === 'advance' ? 'entered' : 'rolled back to') },
              { header: 'Stage', cell: (h) => (h.stage < 0 ? 'none' : h.stage + 1) },
              { header: 'Share', cell: (h) => share(h.percentage) },
              { header: 'By', cell: (h) => h.by },
            ]}
          />
        </>
      ) : null}
    </section>
  );
}
