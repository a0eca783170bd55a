import { randomUUID } from 'node:crypto';
import type { ExperimentResults } from '../../shared/results/service';
import type { HttpAnswer } from './http';

/** An API caller with an admin's token (`apiCaller`). */
type Caller = (method: string, path: string, body?: unknown) => Promise<HttpAnswer>;

/**
 * What the fault suite measures outages with: a running 50/50 experiment whose primary metric counts `purchase`
 * events, the events of units exposed to it that each buy once, and what its results count so far.
 */
export async function startPurchaseExperiment(asAdmin: Caller, key: string): Promise<void> {
  const metric = { key: 'purchase', name: 'Purchase', type: 'conversion', eventName: 'purchase' };
  expect((await asAdmin('POST', '/api/v1/metrics', metric)).status).toBe(201);
  const experiment = await asAdmin('POST', '/api/v1/experiments', {
    key,
    name: key,
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'treatment', name: 'Treatment', weight: 5000 },
    ],
    primaryMetric: 'purchase',
  });
  expect(experiment.status).toBe(201);
  expect((await asAdmin('POST', `/api/v1/experiments/${key}/start`, { version: 1 })).status).toBe(200);
}

/** Units `from` … `from + count − 1`, each exposed (alternating arms) and buying once, timestamped now. */
export function exposedPurchases(experimentKey: string, from: number, count: number): object[] {
  return Array.from({ length: count }, (_, i) => {
    const unitId = `unit-${from + i}`;
    const at = new Date().toISOString();
    return [
      {
        eventId: randomUUID(),
        type: 'exposure',
        name: '$exposure',
        unitId,
        timestamp: at,
        experimentKey,
        variant: (from + i) % 2 === 0 ? 'control' : 'treatment',
      },
      { eventId: randomUUID(), type: 'track', name: 'purchase', unitId, timestamp: at },
    ];
  }).flat();
}

/** The units and conversions the experiment's results count now. */
export async function countedSoFar(
  asAdmin: Caller,
  experimentKey: string,
): Promise<{ units: number; conversions: number }> {
  const r = (await asAdmin('GET', `/api/v1/experiments/${experimentKey}/results`))
    .json as unknown as ExperimentResults;
  return {
    units: r.variants.reduce((sum, v) => sum + v.units, 0),
    conversions: r.metrics[0]!.variants.reduce((sum, v) => sum + (v.conversions ?? 0), 0),
  };
}
