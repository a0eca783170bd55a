import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { ExperimentView } from '../../../shared/experiments/requests';
import type { ExperimentAction } from '../../../shared/experiments/lifecycle';
import type { experimentInputSchema } from '../../../shared/experiments/schema';
import type { Layer } from '../../../shared/layers/requests';
import type { Metric } from '../../../shared/metrics/schema';
import type { Page } from '../../../shared/pagination';
import { call } from '../api';
import { can, type Session } from '../session';
import {
  ActionStatus,
  CheckField,
  ConfirmDialog,
  Link,
  listOf,
  PageTable,
  RequestStatus,
  share,
  SubmitActions,
  SuccessMessage,
  useAction,
  useLoad,
} from '../ui';

type ExperimentBody = z.input<typeof experimentInputSchema>;
type Status = ExperimentView['status'];

/** What each status allows (shared/experiments/lifecycle.ts; the API answers 409 for anything else). */
const ACTIONS: Readonly<Record<Status, readonly ExperimentAction[]>> = {
  DRAFT: ['start'],
  ACTIVE: ['pause', 'complete'],
  PAUSED: ['resume', 'complete'],
  COMPLETED: ['archive'],
  ARCHIVED: [],
};

const CONSEQUENCE: Readonly<Record<ExperimentAction, string>> = {
  start: 'Units are assigned and exposures logged from now on; variants and weights are locked.',
  pause: 'Assignment stops; units already assigned keep their variant when it resumes.',
  resume: 'Assignment starts again.',
  complete: 'Assignment stops for good; the results stay.',
  archive: 'It leaves the working lists; nothing else changes.',
};

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The experiments with their lifecycle actions, each linking to its results, and a form to create one. */
export function Experiments({ session }: { session: Session }) {
  const experiments = useLoad(
    () => call<Page<ExperimentView>>(session.token, 'GET', '/api/v1/experiments?page_size=100'),
    'experiments',
  );
  const [pending, setPending] = useState<{ experiment: ExperimentView; action: ExperimentAction } | null>(
    null,
  );
  const act = useAction();
  const mayUpdate = can(session, 'experiments', 'update');
  const mayCreate = can(session, 'experiments', 'create');
  const mayReadResults = can(session, 'results', 'read');

  const transition = async (experiment: ExperimentView, action: ExperimentAction) => {
    setPending(null);
    await act.run(async () => {
      await call(
        session.token,
        'POST',
        `/api/v1/experiments/${encodeURIComponent(experiment.key)}/${action}`,
        { version: experiment.version },
      );
      experiments.reload();
    });
  };

  return (
    <section aria-labelledby="experiments-title">
      <h1 id="experiments-title">Experiments</h1>
      <RequestStatus loading={experiments.loading} error={experiments.error} />
      <ActionStatus action={act} busyText="Working…" onReload={experiments.reload} />
      <PageTable
        page={experiments.data}
        noun="experiments"
        rowKey={(e) => e.key}
        empty="No experiment yet."
        columns={[
          {
            header: 'Key',
            rowHeader: true,
            cell: (e) =>
              mayReadResults ? <Link to={`/experiments/${encodeURIComponent(e.key)}`}>{e.key}</Link> : e.key,
          },
          { header: 'Name', cell: (e) => e.name },
          { header: 'Status', cell: (e) => <span className="badge">{e.status}</span> },
          {
            header: 'Variants',
            cell: (e) => e.variants.map((v) => `${v.key} ${share(v.weight)}`).join(', '),
          },
          { header: 'Primary metric', cell: (e) => e.primaryMetric ?? '—' },
          ...(mayUpdate
            ? [
                {
                  header: 'Actions',
                  cell: (e: ExperimentView) =>
                    ACTIONS[e.status].map((action) => (
                      <button
                        key={action}
                        type="button"
                        disabled={act.busy}
                        className={action === 'start' ? 'primary' : undefined}
                        aria-label={`${capital(action)} ${e.key}`}
                        onClick={() => setPending({ experiment: e, action })}
                      >
                        {capital(action)}
                      </button>
                    )),
                },
              ]
            : []),
        ]}
      />
      {pending !== null ? (
        <ConfirmDialog
          question={`${capital(pending.action)} ${pending.experiment.key}? ${CONSEQUENCE[pending.action]}`}
          confirmLabel={capital(pending.action)}
          onCancel={() => setPending(null)}
          onConfirm={() => void transition(pending.experiment, pending.action)}
        />
      ) : null}
      {mayCreate ? <NewExperiment session={session} onCreated={experiments.reload} /> : null}
    </section>
  );
}

interface VariantState {
  readonly key: string;
  readonly name: string;
  readonly percent: string;
}

function NewExperiment({ session, onCreated }: { session: Session; onCreated: () => void }) {
  const options = useLoad(async () => {
    const [metrics, layers] = await Promise.all([
      can(session, 'metrics', 'read')
        ? call<Page<Metric>>(session.token, 'GET', '/api/v1/metrics?page_size=100')
        : null,
      call<Page<Layer>>(session.token, 'GET', '/api/v1/layers?page_size=100'),
    ]);
    return { metrics: metrics?.items ?? [], layers: layers.items };
  }, 'experiment-options');
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [variants, setVariants] = useState<readonly VariantState[]>([
    { key: 'control', name: 'Control', percent: '50' },
    { key: 'treatment', name: 'Treatment', percent: '50' },
  ]);
  const [control, setControl] = useState(0);
  const [traffic, setTraffic] = useState('100');
  const [unitAttribute, setUnitAttribute] = useState('userId');
  const [primaryMetric, setPrimaryMetric] = useState('');
  const [secondary, setSecondary] = useState('');
  const [guardrails, setGuardrails] = useState('');
  const [layer, setLayer] = useState('');
  const [range, setRange] = useState({ start: '0', end: '100' });
  const [flagKey, setFlagKey] = useState('');
  const [sequential, setSequential] = useState(true);
  const [created, setCreated] = useState<string | null>(null);
  const save = useAction();
  const setVariant = (i: number, change: Partial<VariantState>) =>
    setVariants((all) => all.map((v, j) => (j === i ? { ...v, ...change } : v)));
  const basisPoints = (percent: string) => Math.round(Number(percent) * 100);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const ok = await save.run(async () => {
      const body: ExperimentBody = {
        key,
        name,
        description,
        variants: variants.map((v, i) => ({
          key: v.key,
          name: v.name,
          weight: basisPoints(v.percent),
          isControl: i === control,
        })),
        trafficAllocation: basisPoints(traffic),
        unitAttribute,
        ...(primaryMetric === '' ? {} : { primaryMetric }),
        secondaryMetrics: listOf(secondary),
        guardrailMetrics: listOf(guardrails),
        ...(layer === ''
          ? {}
          : { layer, layerRange: [basisPoints(range.start), basisPoints(range.end)] as [number, number] }),
        ...(flagKey.trim() === '' ? {} : { flagKey: flagKey.trim() }),
        analysis: { sequential },
      };
      await call(session.token, 'POST', '/api/v1/experiments', body);
    });
    if (ok) {
      setCreated(`Created ${key} as a draft: start it from the list.`);
      setKey('');
      setName('');
      onCreated();
    }
  };
  const total = variants.reduce((sum, v) => sum + (Number(v.percent) || 0), 0);
  const metricKeys = options.data?.metrics.map((m) => m.key) ?? [];

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="new-experiment-title" className="panel">
      <h2 id="new-experiment-title">New experiment</h2>
      <RequestStatus loading={options.loading} error={options.error} />
      <fieldset disabled={save.busy} className="plain">
        <div className="grid">
          <label>
            Key
            <input
              required
              value={key}
              pattern="[a-z0-9][a-z0-9._\-]{0,63}"
              onChange={(e) => setKey(e.target.value)}
            />
          </label>
          <label>
            Name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Traffic % (of eligible units)
            <input
              type="number"
              min={0}
              max={100}
              step="0.01"
              value={traffic}
              onChange={(e) => setTraffic(e.target.value)}
            />
          </label>
          <label>
            Unit attribute
            <input required value={unitAttribute} onChange={(e) => setUnitAttribute(e.target.value)} />
          </label>
        </div>
        <label>
          Hypothesis / description
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset>
          <legend>Variants</legend>
          {variants.map((variant, i) => (
            <div className="row" key={i}>
              <label>
                Variant {i + 1} key
                <input
                  required
                  value={variant.key}
                  onChange={(e) => setVariant(i, { key: e.target.value })}
                />
              </label>
              <label>
                Variant {i + 1} name
                <input
                  required
                  value={variant.name}
                  onChange={(e) => setVariant(i, { name: e.target.value })}
                />
              </label>
              <label>
                Variant {i + 1} weight %
                <input
                  type="number"
                  min={0}
                  max={100}
                  step="0.01"
                  required
                  value={variant.percent}
                  onChange={(e) => setVariant(i, { percent: e.target.value })}
                />
              </label>
              <label className="check">
                <input type="radio" name="control" checked={control === i} onChange={() => setControl(i)} />
                Control
              </label>
              {variants.length > 2 ? (
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    setVariants((all) => all.filter((_, j) => j !== i));
                    setControl(0);
                  }}
                >
                  Remove variant {i + 1}
                </button>
              ) : null}
            </div>
          ))}
          <output className={total === 100 ? '' : 'warn-text'}>Total {Number(total.toFixed(2))} %</output>{' '}
          {variants.length < 10 ? (
            <button
              type="button"
              onClick={() =>
                setVariants((all) => [
                  ...all,
                  { key: `variant-${all.length + 1}`, name: `Variant ${all.length + 1}`, percent: '0' },
                ])
              }
            >
              Add variant
            </button>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Metrics</legend>
          <div className="grid">
            <label>
              Primary metric
              <select value={primaryMetric} onChange={(e) => setPrimaryMetric(e.target.value)}>
                <option value="">none</option>
                {metricKeys.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </label>
            <label>
              Secondary metrics (comma-separated)
              <input value={secondary} onChange={(e) => setSecondary(e.target.value)} />
            </label>
            <label>
              Guardrail metrics (comma-separated)
              <input value={guardrails} onChange={(e) => setGuardrails(e.target.value)} />
            </label>
          </div>
          <CheckField
            label="Sequential (safe to read the results at any time)"
            checked={sequential}
            onChange={setSequential}
          />
        </fieldset>
        <details>
          <summary>Layer and flag (optional)</summary>
          <div className="grid">
            <label>
              Layer
              <select value={layer} onChange={(e) => setLayer(e.target.value)}>
                <option value="">none</option>
                {options.data?.layers.map((l) => (
                  <option key={l.key}>{l.key}</option>
                ))}
              </select>
            </label>
            <label>
              Layer range from %
              <input
                type="number"
                min={0}
                max={100}
                value={range.start}
                onChange={(e) => setRange((r) => ({ ...r, start: e.target.value }))}
              />
            </label>
            <label>
              Layer range to %
              <input
                type="number"
                min={0}
                max={100}
                value={range.end}
                onChange={(e) => setRange((r) => ({ ...r, end: e.target.value }))}
              />
            </label>
            <label>
              Flag key (serves its variations)
              <input value={flagKey} onChange={(e) => setFlagKey(e.target.value)} />
            </label>
          </div>
        </details>
      </fieldset>
      <ActionStatus action={save} />
      <SuccessMessage message={created} />
      <SubmitActions busy={save.busy}>Create experiment</SubmitActions>
    </form>
  );
}
