import type { z } from 'zod';
import type { experimentResultsSchema } from '../../../shared/results/schema';
import { call } from '../api';
import { ForestPlot, percent, type ForestRow } from '../ForestPlot';
import type { Session } from '../session';
import { Link, RequestStatus, useLoad } from '../ui';

type Results = z.output<typeof experimentResultsSchema>;
type Status = Results['verdict']['status'];

/** What each verdict means for the person reading it; the API's message says it for this experiment. */
const MEANING: Readonly<Record<Status, string>> = {
  NO_DATA: 'No unit has been exposed yet: check that the SDKs evaluate the experiment and send exposures.',
  SAMPLE_RATIO_MISMATCH:
    'The arms did not receive the shares of units they were set to: assignment or exposure logging is broken, and no result can be trusted until it is fixed.',
  GUARDRAIL_HARM: 'A treatment significantly harms a guardrail metric: stop or fix it before anything else.',
  IN_PROGRESS: 'The planned sample size is not reached yet: keep the experiment running.',
  WINNER: 'A treatment beats the control on the primary metric: it can be shipped.',
  LOSER: 'Treatments do significantly worse than the control on the primary metric: keep the control.',
  INCONCLUSIVE: 'No significant difference on the primary metric at the planned size.',
};

const TONE: Readonly<Record<Status, 'good' | 'bad' | 'neutral'>> = {
  NO_DATA: 'neutral',
  SAMPLE_RATIO_MISMATCH: 'bad',
  GUARDRAIL_HARM: 'bad',
  IN_PROGRESS: 'neutral',
  WINNER: 'good',
  LOSER: 'bad',
  INCONCLUSIVE: 'neutral',
};

const p = (value: number | null) => (value === null ? '—' : value < 0.0001 ? '< 0.0001' : value.toFixed(4));
const figure = (value: number | null | undefined) =>
  value === null || value === undefined
    ? '—'
    : Math.abs(value) >= 100
      ? value.toFixed(0)
      : value.toPrecision(3);

function forestRows(results: Results): ForestRow[] {
  return results.metrics.flatMap((metric) =>
    metric.comparisons.map((c) => ({
      group: metric.metricKey,
      label: `${metric.name} · ${c.variant}`,
      effect: c.relativeEffect,
      interval: c.relativeCI,
      outcome: c.outcome,
    })),
  );
}

/** An experiment's results: the verdict and what it means, the SRM check, and each metric's effects. */
export function ExperimentResults({ session, experimentKey }: { session: Session; experimentKey: string }) {
  const results = useLoad(
    () =>
      call<Results>(session.token, 'GET', `/api/v1/experiments/${encodeURIComponent(experimentKey)}/results`),
    experimentKey,
  );
  const r = results.data;
  const rows = r === null ? [] : forestRows(r);
  return (
    <section aria-labelledby="results-title">
      <p>
        <Link to="/experiments">← All experiments</Link>
      </p>
      <div className="title-row">
        <h1 id="results-title">Results: {experimentKey}</h1>
        <button type="button" onClick={results.reload} disabled={results.loading}>
          Refresh
        </button>
      </div>
      <RequestStatus loading={results.loading} error={results.error} />
      {r !== null ? (
        <>
          <p className="hint">
            Status {r.status} · generated {new Date(r.generatedAt).toLocaleString()} · α = {r.alpha} ·{' '}
            {r.variants.map((v) => `${v.key}: ${v.units} units`).join(', ')}
          </p>
          <div className={`verdict ${TONE[r.verdict.status]}`} data-testid="verdict">
            <h2>
              Verdict:{' '}
              <span data-testid="verdict-status">{r.verdict.status.replace(/_/g, ' ').toLowerCase()}</span>
            </h2>
            <p data-testid="verdict-message">{r.verdict.message}</p>
            <p className="meaning">{MEANING[r.verdict.status]}</p>
          </div>
          {r.sampleRatioMismatch.mismatch ? (
            <div role="alert" className="error" data-testid="srm-warning">
              <p>
                <strong>Sample ratio mismatch.</strong> The units per arm differ from the configured split (χ²
                p = {p(r.sampleRatioMismatch.pValue)}, below {r.sampleRatioMismatch.threshold}). Do not trust
                the effects below until the cause is found.
              </p>
            </div>
          ) : null}
          {r.plan !== null ? (
            <p>
              Planned sample: {Math.round(r.plan.progress * 100)} % of {r.plan.totalUnits} units
              {r.plan.remainingDays !== null ? `, about ${r.plan.remainingDays.toFixed(1)} days to go` : ''}.
            </p>
          ) : null}
          <h2>Effects against the control</h2>
          {rows.length === 0 ? (
            <p>No metric has a comparison yet.</p>
          ) : (
            <figure>
              <ForestPlot
                rows={rows}
                title="Relative effect of each treatment on each metric, with its interval"
              />
              <figcaption>
                Relative effect with its {Math.round((1 - r.alpha) * 100)} % interval; an interval that does
                not cross 0 is a difference the data show.
              </figcaption>
            </figure>
          )}
          {r.metrics.map((metric) => (
            <div key={metric.metricKey} className="table-wrap">
              <table>
                <caption>
                  {metric.name} ({metric.role}, {metric.type}
                  {metric.test !== null ? `, ${metric.test}` : ''})
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Variant</th>
                    <th scope="col">Units</th>
                    <th scope="col">Mean</th>
                    <th scope="col">Relative effect</th>
                    <th scope="col">Interval</th>
                    <th scope="col">Decision p</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {metric.variants.map((v) => {
                    const c = metric.comparisons.find((x) => x.variant === v.variant);
                    return (
                      <tr key={v.variant}>
                        <th scope="row">
                          {v.variant}
                          {v.isControl ? ' (control)' : ''}
                        </th>
                        <td>{v.units}</td>
                        <td>{figure(v.mean)}</td>
                        <td>
                          {c?.relativeEffect === undefined || c.relativeEffect === null
                            ? '—'
                            : percent(c.relativeEffect)}
                        </td>
                        <td>
                          {c?.relativeCI === undefined || c.relativeCI === null
                            ? '—'
                            : `${percent(c.relativeCI[0])} to ${percent(c.relativeCI[1])}`}
                        </td>
                        <td>{c ? p(c.adjustedPValue ?? c.alwaysValidPValue ?? c.pValue) : '—'}</td>
                        <td>{c?.outcome ?? '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {metric.problem !== undefined ? <p className="hint">{metric.problem}</p> : null}
            </div>
          ))}
        </>
      ) : null}
    </section>
  );
}
