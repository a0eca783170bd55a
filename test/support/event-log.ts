import type { SwitchyardEvent } from '../../shared/events/schema';
import type { Experiment } from '../../shared/experiments/requests';
import type { Metric } from '../../shared/metrics/schema';

/**
 * A seeded, generated event log for the event processor's tests and bench: experiments with 2–3 variants,
 * metrics of every type (with and without windows and value properties), units exposed to several experiments
 * (some twice, to different variants: the first exposure must win), track events before and after exposure,
 * events no metric reads, and error/latency events of a flag's variations (some too old to count).
 */

/** mulberry32: the same log on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const HOUR = 3600_000;
/**
 * The processor's clock for a generated log (error/latency events are within the last day, some older): the
 * current hour, not a fixed date, because TTLs count from the wall clock and DynamoDB Local deletes expired
 * items — a log dated months ago would see its unit states and safety aggregates vanish mid-test.
 */
export const LOG_NOW = Math.floor(Date.now() / HOUR) * HOUR;

const stamp = {
  createdBy: 'test',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const metric = (fields: Pick<Metric, 'key' | 'type' | 'eventName'> & Partial<Metric>): Metric => ({
  name: fields.key,
  description: '',
  tags: [],
  direction: 'increase',
  version: 1,
  ...stamp,
  ...fields,
});

export const LOG_METRICS: Metric[] = [
  metric({ key: 'converted', type: 'conversion', eventName: 'signup' }),
  metric({ key: 'converted-24h', type: 'conversion', eventName: 'signup', window: { hours: 24 } }),
  metric({ key: 'clicks', type: 'count', eventName: 'click', window: { hours: 48 } }),
  metric({ key: 'clicks-all', type: 'count', eventName: 'click' }),
  metric({ key: 'revenue', type: 'sum', eventName: 'purchase', valueProperty: 'amount' }),
  metric({ key: 'purchase-value', type: 'sum', eventName: 'purchase' }),
  metric({
    key: 'order-value',
    type: 'mean',
    eventName: 'purchase',
    valueProperty: 'amount',
    window: { hours: 72 },
  }),
  metric({ key: 'page-load', type: 'duration_p95', eventName: 'page_load' }),
  metric({ key: 'unused', type: 'count', eventName: 'never_sent' }),
];

const experiment = (
  key: string,
  variants: string[],
  metrics: Pick<Experiment, 'primaryMetric' | 'secondaryMetrics' | 'guardrailMetrics'>,
  status: Experiment['status'] = 'ACTIVE',
): Experiment => ({
  key,
  name: key,
  description: '',
  tags: [],
  variants: variants.map((v, i) => ({
    key: v,
    name: v,
    weight:
      i === 0
        ? 10_000 - Math.floor(10_000 / variants.length) * (variants.length - 1)
        : Math.floor(10_000 / variants.length),
    isControl: i === 0,
  })),
  trafficAllocation: 10_000,
  unitAttribute: 'userId',
  status,
  version: 1,
  ...stamp,
  ...metrics,
});

export const LOG_EXPERIMENTS: Experiment[] = [
  experiment('checkout', ['control', 'treatment'], {
    primaryMetric: 'converted',
    secondaryMetrics: ['revenue', 'order-value', 'clicks', 'page-load'],
    guardrailMetrics: ['converted-24h'],
  }),
  experiment('search', ['control', 'fast', 'faster'], {
    primaryMetric: 'clicks-all',
    secondaryMetrics: ['purchase-value', 'order-value', 'converted'],
    guardrailMetrics: ['page-load'],
  }),
  experiment(
    'retired',
    ['a', 'b'],
    { primaryMetric: 'converted', secondaryMetrics: [], guardrailMetrics: [] },
    'ARCHIVED',
  ),
];

export interface EventLogOptions {
  readonly seed?: number;
  readonly units?: number;
  /** Track events per unit, on average. */
  readonly eventsPerUnit?: number;
  /** Error/latency events fall within this many hours before LOG_NOW (10 % of them three days before). */
  readonly safetyHours?: number;
}

function uuid(random: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
}

/** ISO-8601, sometimes with a +02:00 offset instead of Z (the same instant). */
function timestamp(at: number, random: () => number): string {
  if (random() < 0.1) {
    const local = new Date(at + 2 * HOUR).toISOString().replace('Z', '+02:00');
    return local;
  }
  return new Date(at).toISOString();
}

/** Unique events (no duplicates), in generation order. */
export function generateEventLog(options: EventLogOptions = {}): SwitchyardEvent[] {
  const random = prng(options.seed ?? 42);
  const units = options.units ?? 800;
  const perUnit = options.eventsPerUnit ?? 10;
  const safetyHours = options.safetyHours ?? 24;
  const events: SwitchyardEvent[] = [];
  const base = LOG_NOW - 6 * 24 * HOUR;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  for (let u = 0; u < units; u++) {
    const unitId = `user-${u}`;
    const common = () => ({ eventId: uuid(random), unitId });
    const exposedAt = base + random() * 4 * 24 * HOUR;
    for (const exp of LOG_EXPERIMENTS) {
      if (random() < (exp.key === 'retired' ? 0.2 : 0.75)) {
        const variants = exp.variants.map((v) => v.key);
        const at = exposedAt + Math.floor(random() * 6) * HOUR;
        events.push({
          ...common(),
          type: 'exposure',
          name: '$exposure',
          timestamp: timestamp(at, random),
          experimentKey: exp.key,
          variant: pick(variants),
        });
        // Re-exposures: later ones (ignored), some to another variant; a few at the same instant (id decides).
        const extra = random();
        if (extra < 0.3) {
          const later = random() < 0.1 ? at : at + Math.floor(random() * 48 * HOUR);
          events.push({
            ...common(),
            type: 'exposure',
            name: '$exposure',
            timestamp: timestamp(later, random),
            experimentKey: exp.key,
            variant: random() < 0.5 ? pick(variants) : (events.at(-1) as { variant: string }).variant,
          });
        }
      }
    }
    // An exposure to an experiment nobody configured: ignored.
    if (random() < 0.05) {
      events.push({
        ...common(),
        type: 'exposure',
        name: '$exposure',
        timestamp: timestamp(exposedAt, random),
        experimentKey: 'not-configured',
        variant: 'x',
      });
    }
    const count = Math.floor(random() * perUnit * 2);
    for (let i = 0; i < count; i++) {
      const at = exposedAt + (random() - 0.35) * 5 * 24 * HOUR;
      const kind = random();
      if (kind < 0.12) {
        events.push({ ...common(), type: 'track', name: 'signup', timestamp: timestamp(at, random) });
      } else if (kind < 0.45) {
        events.push({ ...common(), type: 'track', name: 'click', timestamp: timestamp(at, random) });
      } else if (kind < 0.65) {
        const amount = Math.round(random() * 20_000) / 100;
        const withAmount = random() < 0.85;
        const withValue = random() < 0.6;
        events.push({
          ...common(),
          type: 'track',
          name: 'purchase',
          timestamp: timestamp(at, random),
          ...(withValue ? { value: Math.round(random() * 1e6) / 1e3 } : {}),
          properties: withAmount ? { amount, currency: 'EUR' } : { currency: 'EUR', amount: 'n/a' },
        });
      } else if (kind < 0.85) {
        const value = Math.exp(5 + random() * 2.5) * (1 + random());
        events.push({
          ...common(),
          type: 'track',
          name: 'page_load',
          timestamp: timestamp(at, random),
          ...(random() < 0.95 ? { value } : {}),
        });
      } else {
        events.push({ ...common(), type: 'track', name: 'page_view', timestamp: timestamp(at, random) });
      }
    }
    // Error and latency events of a flag's variations: the last day, a few three days old (too old).
    const safety = Math.floor(random() * 4);
    for (let i = 0; i < safety; i++) {
      const at = LOG_NOW - (random() < 0.1 ? 72 * HOUR : random() * safetyHours * HOUR);
      const flagged = random() < 0.9;
      const flag = flagged ? { flagKey: 'new-api', variation: pick(['on', 'off']) } : {};
      if (random() < 0.3) {
        events.push({
          ...common(),
          type: 'error',
          name: 'api-error',
          timestamp: timestamp(at, random),
          ...flag,
        });
      } else {
        events.push({
          ...common(),
          type: 'latency',
          name: 'api-latency',
          timestamp: timestamp(at, random),
          value: Math.round(Math.exp(3 + random() * 3) * 100) / 100,
          ...flag,
        });
      }
    }
  }
  return events;
}
