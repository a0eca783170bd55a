import type { ExperimentView } from '../../../shared/experiments/requests';
import type { Page } from '../../../shared/pagination';
import { call } from '../api';
import type { Session } from '../session';
import { Link, RequestStatus, useLoad } from '../ui';

/** The experiments, each linking to its results. */
export function Experiments({ session }: { session: Session }) {
  const experiments = useLoad(
    () => call<Page<ExperimentView>>(session.token, 'GET', '/api/v1/experiments?page_size=100'),
    'experiments',
  );
  return (
    <section aria-labelledby="experiments-title">
      <h1 id="experiments-title">Experiments</h1>
      <RequestStatus loading={experiments.loading} error={experiments.error} />
      {experiments.data !== null ? (
        experiments.data.items.length === 0 ? (
          <p>No experiment yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Variants</th>
                  <th scope="col">Primary metric</th>
                </tr>
              </thead>
              <tbody>
                {experiments.data.items.map((experiment) => (
                  <tr key={experiment.key}>
                    <td>
                      <Link to={`/experiments/${encodeURIComponent(experiment.key)}`}>{experiment.key}</Link>
                    </td>
                    <td>{experiment.name}</td>
                    <td>
                      <span className="badge">{experiment.status}</span>
                    </td>
                    <td>{experiment.variants.map((v) => `${v.key} ${v.weight / 100} %`).join(', ')}</td>
                    <td>{experiment.primaryMetric ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </section>
  );
}
