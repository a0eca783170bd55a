import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { analysisConfig } from '../../../shared/analytics/config';
import {
  aggregateKey,
  contributions,
  fineBlockKey,
  hourOf,
  hourStart,
  parseAggregateKey,
  safetyFields,
  safetyKey,
  unitCellDeltas,
  unitCellFields,
  unitDelta,
  UNITS,
  type AggregateDelta,
} from '../../../shared/analytics/contributions';
import { bucketOf, fineBlockOf, fineBucketOf, histogramQuantile } from '../../../shared/analytics/histogram';
import {
  decodeState,
  emptyUnitState,
  encodeState,
  fitBudget,
  MAX_UNIT_EVENTS,
  mergeEvents,
  SAFETY_DEDUP_HOURS,
  type Fields,
  type StoredSafetyEvent,
  type UnitState,
} from '../../../shared/analytics/state';
import { quantize } from '../../../shared/analytics/store';
import type { SwitchyardEvent } from '../../../shared/events/schema';
import type { MetricType } from '../../../shared/metrics/schema';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

const metric = (key: string, type: MetricType, extra: object = {}) => ({
  key,
  type,
  eventName: key === 'revenue' || key === 'aov' ? 'purchase' : key,
  ...extra,
});

const config = analysisConfig(
  [
    {
      key: 'checkout',
      status: 'ACTIVE',
      variants: [
        { key: 'control', name: 'c', weight: 5000, isControl: true },
        { key: 'treatment', name: 't', weight: 5000, isControl: false },
      ],
      primaryMetric: 'converted',
      secondaryMetrics: ['clicks', 'revenue', 'aov', 'load'],
      guardrailMetrics: ['clicks'],
    },
    {
      key: 'old',
      status: 'ARCHIVED',
      variants: [
        { key: 'a', name: 'a', weight: 5000, isControl: true },
        { key: 'b', name: 'b', weight: 5000, isControl: false },
      ],
      primaryMetric: 'converted',
      secondaryMetrics: [],
      guardrailMetrics: [],
    },
  ],
  [
    metric('converted', 'conversion'),
    metric('clicks', 'count', { window: { hours: 24 } }),
    metric('revenue', 'sum', { valueProperty: 'amount' }),
    metric('aov', 'mean', { valueProperty: 'amount' }),
    metric('load', 'duration_p95'),
  ],
);

const exposure = (
  at: number,
  variant = 'control',
  experimentKey = 'checkout',
  eventId = uuid(),
): SwitchyardEvent => ({
  eventId,
  type: 'exposure',
  name: '$exposure',
  unitId: 'u1',
  timestamp: iso(at),
  experimentKey,
  variant,
});
const track = (name: string, at: number, extra: Partial<SwitchyardEvent> = {}): SwitchyardEvent =>
  ({ eventId: uuid(), type: 'track', name, unitId: 'u1', timestamp: iso(at), ...extra }) as SwitchyardEvent;

const merge = (state: UnitState, events: SwitchyardEvent[], now = T0) =>
  mergeEvents(state, events, config, now);
const stateOf = (events: SwitchyardEvent[]) => merge(emptyUnitState('u1'), events).state;
const fields = (state: UnitState, metricKey: string, variant = 'control') =>
  contributions(state, config).get(aggregateKey('checkout', variant, metricKey));

describe('contributions of one unit', () => {
  it('counts the unit once per exposed experiment and nothing before an exposure', () => {
    const events = [track('converted', T0), track('clicks', T0 + 1)];
    expect(contributions(stateOf(events), config).size).toBe(0);
    const exposed = stateOf([...events, exposure(T0 + 2)]);
    expect(fields(exposed, UNITS)).toEqual({ n: 1 });
    // Both events came before exposure: x = 0; they are the covariate y instead.
    expect(fields(exposed, 'converted')).toEqual({ n: 1, sy: 1, syy: 1 });
    expect(fields(exposed, 'clicks')).toEqual({ n: 1, sy: 1, syy: 1 });
    expect(fields(exposed, 'aov')).toBeUndefined();
    expect(fields(exposed, 'load')).toBeUndefined();
  });

  it('computes every metric type after exposure, with CUPED sums from before', () => {
    const state = stateOf([
      exposure(T0),
      track('purchase', T0 - 5 * HOUR, { properties: { amount: 10 } }),
      track('purchase', T0 + HOUR, { properties: { amount: 30 } }),
      track('purchase', T0 + 2 * HOUR, { properties: { amount: 50 } }),
      track('purchase', T0 + 3 * HOUR, { value: 999 }), // no amount: 0 for sum, not a value for mean
      track('clicks', T0 - 2 * HOUR),
      track('clicks', T0),
      track('clicks', T0 + 23 * HOUR),
      track('clicks', T0 + 24 * HOUR), // outside the 24 h window
      track('clicks', T0 - 25 * HOUR), // outside the window before exposure
      track('load', T0 + 1, { value: 100 }),
      track('load', T0 + 2, { value: 300 }),
      track('load', T0 - 1, { value: 5000 }),
    ]);
    expect(fields(state, 'revenue')).toEqual({ n: 1, sx: 80, sxx: 6400, sy: 10, syy: 100, sxy: 800 });
    expect(fields(state, 'aov')).toEqual({
      n: 1,
      sx: 40,
      sxx: 1600,
      sy: 10,
      syy: 100,
      sxy: 400,
      rn: 80,
      rd: 2,
      rnn: 6400,
      rdd: 4,
      rnd: 160,
    });
    expect(fields(state, 'clicks')).toEqual({ n: 1, sx: 2, sxx: 4, sy: 1, syy: 1, sxy: 2 });
    expect(fields(state, 'converted')).toEqual({ n: 1 });
    expect(fields(state, 'load')).toEqual({
      n: 1,
      ev: 2,
      sv: 400,
      svv: 100_000,
      [`h${bucketOf(100)}`]: 1,
      [`h${bucketOf(300)}`]: 1,
    });
    // The fine histogram: one item per doubling the values span (100 and 300 are in two).
    const fine = (value: number) => fineBlockKey('load', fineBlockOf(fineBucketOf(value)));
    expect(fineBlockOf(fineBucketOf(100))).not.toBe(fineBlockOf(fineBucketOf(300)));
    expect(fields(state, fine(100))).toEqual({ [`q${fineBucketOf(100)}`]: 1 });
    expect(fields(state, fine(300))).toEqual({ [`q${fineBucketOf(300)}`]: 1 });
    expect([...contributions(state, config).keys()].filter((k) => k.includes('#q'))).toHaveLength(2);
    expect(parseAggregateKey(aggregateKey('checkout', 'control', fine(100)))).toMatchObject({
      metricKey: fine(100),
      metric: 'load',
    });
  });

  it('is the same whatever the arrival order, including an exposure that arrives after the events', () => {
    const events = [
      track('purchase', T0 + HOUR, { properties: { amount: 30 } }),
      exposure(T0 + 2 * HOUR, 'treatment'),
      track('clicks', T0 + 3 * HOUR),
      exposure(T0, 'control'),
      track('clicks', T0 - HOUR),
    ];
    const expected = contributions(stateOf(events), config);
    for (const order of [
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
      [1, 3, 0, 2, 4],
    ]) {
      let state = emptyUnitState('u1');
      for (const i of order) state = merge(state, [events[i]!]).state;
      expect(contributions(state, config)).toEqual(expected);
    }
    // The earliest exposure wins: control, at T0.
    expect([...expected.keys()].every((k) => k.startsWith('checkout/control/'))).toBe(true);
  });

  it('breaks exposure ties by eventId', () => {
    const a = exposure(T0, 'treatment', 'checkout', '00000000-0000-4000-8000-00000000000a');
    const b = exposure(T0, 'control', 'checkout', '00000000-0000-4000-8000-00000000000b');
    expect(stateOf([b, a]).exposures.checkout!.variant).toBe('treatment');
    expect(stateOf([a, b]).exposures.checkout!.variant).toBe('treatment');
  });

  it('ignores duplicates: the same event twice changes nothing', () => {
    const click = track('clicks', T0 + 1);
    const once = stateOf([exposure(T0), click]);
    const again = merge(once, [click]);
    expect(again.changed).toBe(false);
    expect(merge(emptyUnitState('u1'), [click, click]).state.events).toHaveLength(1);
  });

  it('keeps only what some aggregate can use', () => {
    const merged = merge(emptyUnitState('u1'), [
      track('page_view', T0),
      exposure(T0, 'x', 'unknown-experiment'),
      { eventId: uuid(), type: 'error', name: 'boom', unitId: 'u1', timestamp: iso(T0) },
    ]);
    expect(merged.changed).toBe(false);
    expect(merged.notes.ignored).toBe(3);
  });

  it('freezes what an archived experiment, or a metric taken off, received; takes back a moved variant', () => {
    const state = stateOf([exposure(T0, 'a', 'old'), exposure(T0, 'treatment'), track('converted', T0 + 1)]);
    const applied: Record<string, Fields> = {
      [aggregateKey('old', 'a', UNITS)]: { n: 1 },
      [aggregateKey('checkout', 'control', UNITS)]: { n: 1 },
      [aggregateKey('checkout', 'control', 'converted')]: { n: 1, sx: 1, sxx: 1 },
      [aggregateKey('checkout', 'control', 'retired')]: { n: 1, sx: 5 },
      [aggregateKey('checkout', 'control', fineBlockKey('retired', 11))]: { q1500: 1 },
      [aggregateKey('checkout', 'control', fineBlockKey('load', 11))]: { q1500: 1 },
    };
    const { deltas, applied: next } = unitDelta(applied, contributions(state, config), config);
    expect(next[aggregateKey('old', 'a', UNITS)]).toEqual({ n: 1 });
    expect(next[aggregateKey('checkout', 'control', 'retired')]).toEqual({ n: 1, sx: 5 });
    // A fine-histogram block follows its metric: frozen with a metric taken off, taken back with a moved unit.
    expect(next[aggregateKey('checkout', 'control', fineBlockKey('retired', 11))]).toEqual({ q1500: 1 });
    expect(deltas.get(aggregateKey('checkout', 'control', fineBlockKey('load', 11)))!.get('q1500')).toEqual({
      delta: -1,
      scale: 1,
    });
    expect(deltas.has(aggregateKey('old', 'a', UNITS))).toBe(false);
    expect(deltas.get(aggregateKey('checkout', 'control', UNITS))!.get('n')).toEqual({ delta: -1, scale: 1 });
    expect(deltas.get(aggregateKey('checkout', 'treatment', UNITS))!.get('n')).toEqual({
      delta: 1,
      scale: 1,
    });
    expect(deltas.get(aggregateKey('checkout', 'treatment', 'converted'))!.get('sx')!.delta).toBe(1);
  });
});

describe('unit state', () => {
  it('keeps the earliest MAX_UNIT_EVENTS events after exposure whatever the order, and counts the rest as capped', () => {
    const clicks = Array.from({ length: MAX_UNIT_EVENTS + 10 }, (_, i) => track('clicks', T0 + i * 1000));
    const exposed = merge(emptyUnitState('u1'), [exposure(T0)]).state;
    const forward = merge(exposed, clicks);
    expect(forward.notes.capped).toBe(10);
    const backward = merge(exposed, [...clicks].reverse());
    expect(backward.state.events.map((e) => e.id)).toEqual(forward.state.events.map((e) => e.id));
    expect(forward.state.events.at(-1)!.id).toBe(clicks[MAX_UNIT_EVENTS - 1]!.eventId);
    // A late duplicate of a capped event is capped again: nothing changes.
    expect(merge(forward.state, [clicks.at(-1)!]).changed).toBe(false);
  });

  // The reviewer's case: 2000 page views (a metric reads them, so they are kept for CUPED), then an exposure,
  // then a purchase. Keeping the earliest 2000 kept the page views only, and the purchase counted 0.
  it('over the cap, keeps the events that count for x before pre-exposure ones, whatever the arrival order', () => {
    const cupedConfig = analysisConfig(
      [
        {
          key: 'checkout',
          status: 'ACTIVE',
          variants: [
            { key: 'control', name: 'c', weight: 5000, isControl: true },
            { key: 'treatment', name: 't', weight: 5000, isControl: false },
          ],
          primaryMetric: 'purchased',
          secondaryMetrics: ['views'],
          guardrailMetrics: [],
        },
      ],
      [
        { key: 'purchased', type: 'conversion', eventName: 'purchase' },
        { key: 'views', type: 'count', eventName: 'page_view' },
      ],
    );
    const views = Array.from({ length: MAX_UNIT_EVENTS }, (_, i) => track('page_view', T0 - HOUR + i * 1000));
    const exposed = exposure(T0 + HOUR);
    const purchase = track('purchase', T0 + 2 * HOUR);
    const orders = [
      [views, [exposed], [purchase]],
      [[...views, exposed, purchase]],
      [[purchase], [exposed], [...views].reverse()],
      [[exposed], views.slice(1000), [purchase], views.slice(0, 1000)],
      [
        [purchase, ...views.slice(500)],
        [exposed, ...views.slice(0, 500)],
      ],
    ];
    const kept = orders.map((batches) => {
      let state = emptyUnitState('u1');
      let capped = 0;
      for (const batch of batches) {
        const merged = mergeEvents(state, batch, cupedConfig, T0);
        state = merged.state;
        capped += merged.notes.capped;
      }
      expect(capped).toBe(1);
      const x = contributions(state, cupedConfig).get(aggregateKey('checkout', 'control', 'purchased'));
      expect(x).toMatchObject({ n: 1, sx: 1 });
      return state.events.map((e) => e.id);
    });
    for (const ids of kept) expect(ids).toEqual(kept[0]);
    // The page view dropped is the earliest (farthest from the exposure).
    expect(kept[0]).toHaveLength(MAX_UNIT_EVENTS);
    expect(kept[0]).not.toContain(views[0]!.eventId);
    expect(kept[0]).toContain(purchase.eventId);
  });

  it('over the cap, breaks timestamp ties by eventId whatever the arrival order', () => {
    // No exposure yet: every event is before it, and the latest are kept; all share one timestamp.
    const same = Array.from({ length: MAX_UNIT_EVENTS + 3 }, () => track('clicks', T0));
    const forward = merge(emptyUnitState('u1'), same);
    const backward = merge(emptyUnitState('u1'), [...same].reverse());
    expect(forward.notes.capped).toBe(3);
    expect(backward.state.events.map((e) => e.id)).toEqual(forward.state.events.map((e) => e.id));
    const ids = same.map((e) => e.eventId).sort();
    expect(forward.state.events.map((e) => e.id)).toEqual(ids.slice(3));
  });

  it('treats a value beyond ±1e12 as no value, in value and in the value property', () => {
    const state = stateOf([
      exposure(T0),
      track('purchase', T0 + 1, { value: 1e70, properties: { amount: -1e13 } }),
      track('purchase', T0 + 2, { value: 5, properties: { amount: 1e12 } }),
      track('load', T0 + 3, { value: 1e70 }),
    ]);
    expect(state.events.map((e) => [e.value, e.props])).toEqual([
      [undefined, undefined],
      [5, { amount: 1e12 }],
      [undefined, undefined],
    ]);
    expect(fields(state, 'revenue')).toMatchObject({ n: 1, sx: 1e12 });
    expect(fields(state, 'aov')).toMatchObject({ n: 1, sx: 1e12, rd: 1 });
    expect(fields(state, 'load')).toBeUndefined();
    // A state stored before values were bounded: its value counts as none too.
    const old = { ...state, events: [{ id: 'old', name: 'purchase', at: T0 + 4, props: { amount: 1e20 } }] };
    expect(fields(old, 'revenue')).toEqual({ n: 1 });
    // A latency without a usable value is not aggregated.
    const latency = merge(emptyUnitState('u1'), [
      {
        eventId: uuid(),
        type: 'latency',
        name: 'api',
        unitId: 'u1',
        timestamp: iso(T0),
        value: 1e70,
        flagKey: 'new-api',
        variation: 'on',
      },
    ]);
    expect(latency.newSafety).toEqual([]);
    expect(latency.notes.ignored).toBe(1);
  });

  it('round-trips through its compressed encoding', () => {
    const state = merge(emptyUnitState('u1'), [
      exposure(T0),
      track('purchase', T0 + 1, { value: 3, properties: { amount: 12.5, other: 'x' } }),
      track('clicks', T0 + 2),
      {
        eventId: uuid(),
        type: 'latency',
        name: 'api',
        unitId: 'u1',
        timestamp: iso(T0 + 3),
        value: 42,
        flagKey: 'new-api',
        variation: 'on',
      },
    ]).state;
    const withApplied = { ...state, applied: { 'checkout/control/$units': { n: 1 } } };
    expect(decodeState('u1', 3, encodeState(withApplied))).toEqual({ ...withApplied, version: 3 });
  });

  it('brings an oversized state under the byte budget by keeping the events the cap would keep, and says so', () => {
    const big = merge(emptyUnitState('u1'), [
      exposure(T0 + 400),
      ...Array.from({ length: 500 }, (_, i) => track('clicks', T0 + i)),
    ]).state;
    const budget = encodeState(big).length / 2;
    const fitted = fitBudget(big, [], config, budget);
    expect(fitted.body.length).toBeLessThanOrEqual(budget);
    expect(fitted.trimmed).toBeGreaterThan(0);
    // The 100 events after the exposure, then the latest before it.
    const kept = big.events.length - fitted.trimmed;
    expect(kept).toBeGreaterThan(100);
    expect(fitted.state.events).toEqual(big.events.slice(big.events.length - kept));
  });

  it('aggregates error/latency events once, and not when older than the dedup horizon', () => {
    const latency = (at: number): SwitchyardEvent => ({
      eventId: uuid(),
      type: 'latency',
      name: 'api',
      unitId: 'u1',
      timestamp: iso(at),
      value: 250,
      flagKey: 'new-api',
      variation: 'on',
    });
    const fresh = latency(T0 - HOUR);
    const stale = latency(T0 - (SAFETY_DEDUP_HOURS + 1) * HOUR);
    const first = merge(emptyUnitState('u1'), [fresh, stale, fresh]);
    expect(first.newSafety).toHaveLength(1);
    expect(first.notes.staleSafety).toBe(1);
    expect(merge(first.state, [fresh]).newSafety).toHaveLength(0);
    // Two days later the id is forgotten, and a duplicate is too old to count.
    const later = merge(first.state, [fresh], T0 + (SAFETY_DEDUP_HOURS + 2) * HOUR);
    expect(later.newSafety).toHaveLength(0);
    expect(safetyKey(first.newSafety[0]!)).toBe('new-api/on/2026-03-01T11:00Z');
    expect(safetyFields(first.newSafety[0]!)).toEqual({
      lat: 1,
      ls: 250,
      lss: 62_500,
      [`h${bucketOf(250)}`]: 1,
    });
  });
});

describe('unit cells (per unit, flag, variation and UTC hour)', () => {
  const H = Date.parse('2026-03-01T11:00:00.000Z');
  const safetyEvent = (
    type: 'error' | 'latency',
    at: number,
    value?: number,
    variation = 'on',
  ): SwitchyardEvent =>
    ({
      eventId: uuid(),
      type,
      name: 'api',
      unitId: 'u1',
      timestamp: iso(at),
      flagKey: 'new-api',
      variation,
      ...(value === undefined ? {} : { value }),
    }) as SwitchyardEvent;
  /** Every event merged batch after batch into one state, and the cell deltas each batch adds, summed. */
  const cellsAfter = (batches: SwitchyardEvent[][]) => {
    let state = emptyUnitState('u1');
    const cells = new Map<string, Record<string, number>>();
    for (const batch of batches) {
      const merged = merge(state, batch);
      for (const [key, delta] of unitCellDeltas(state.safety, merged.newSafety)) {
        const into = cells.get(key) ?? {};
        for (const [field, { delta: d }] of delta) into[field] = (into[field] ?? 0) + d;
        cells.set(key, into);
      }
      state = merged.state;
    }
    return cells;
  };
  const values = (delta: AggregateDelta | undefined) =>
    Object.fromEntries([...(delta ?? [])].map(([field, { delta: d }]) => [field, d]));

  it('names the UTC hour as minuteOf names the minute', () => {
    expect(hourOf(Date.parse('2026-03-01T11:59:59.999Z'))).toBe('2026-03-01T11Z');
    expect(hourOf(Date.parse('2026-03-01T13:00:00.000+02:00'))).toBe('2026-03-01T11Z');
    expect(hourStart('2026-03-01T11Z')).toBe(H);
  });

  it('holds u = 1 and the unit’s e, l, s with their squares and products', () => {
    // 2 errors and 3 requests of 100, 200 and 300.5 ms in one hour: e = 2, l = 3, s = 600.5.
    const events = [
      safetyEvent('error', H + 1),
      safetyEvent('latency', H + 2, 100),
      safetyEvent('latency', H + 30 * 60_000, 200),
      safetyEvent('error', H + 59 * 60_000),
      safetyEvent('latency', H + 3600_000 - 1, 300.5),
    ];
    const cells = cellsAfter([events]);
    expect([...cells.keys()]).toEqual(['new-api/on/2026-03-01T11Z']);
    expect(cells.get('new-api/on/2026-03-01T11Z')).toEqual({
      u: 1,
      e: 2,
      l: 3,
      s: 600.5,
      ee: 4,
      ll: 9,
      ss: 360_600.25,
      el: 6,
      sl: 1801.5,
    });
    // Only errors: no latency fields at all.
    expect(unitCellFields(merge(emptyUnitState('u1'), [safetyEvent('error', H)]).newSafety)).toEqual({
      u: 1,
      e: 1,
      ee: 1,
    });
  });

  it('adds the difference when later batches bring more events: u once, squares as after² − before²', () => {
    const first = [safetyEvent('error', H + 1), safetyEvent('latency', H + 2, 100)];
    const second = [safetyEvent('latency', H + 3, 50), safetyEvent('error', H + 4)];
    const state = merge(emptyUnitState('u1'), first).state;
    const more = merge(state, second);
    // Before: e = 1, l = 1, s = 100. After: e = 2, l = 2, s = 150.
    expect(values(unitCellDeltas(state.safety, more.newSafety).get('new-api/on/2026-03-01T11Z'))).toEqual({
      e: 1,
      l: 1,
      s: 50,
      ee: 3,
      ll: 3,
      ss: 12_500,
      el: 3,
      sl: 200,
    });
  });

  it('counts duplicates once and gives the same cells whatever the batches and their order', () => {
    const events = [
      safetyEvent('error', H + 1),
      safetyEvent('latency', H + 2, 100),
      safetyEvent('latency', H + 3, 7.25),
      safetyEvent('latency', H + 4, 40),
      safetyEvent('error', H + 5),
      safetyEvent('latency', H + 3600_000 + 10, 900),
      safetyEvent('latency', H + 6, 12, 'off'),
    ];
    const once = cellsAfter([events]);
    expect(once).toEqual(
      new Map([
        [
          'new-api/on/2026-03-01T11Z',
          { u: 1, e: 2, l: 3, s: 147.25, ee: 4, ll: 9, ss: 147.25 ** 2, el: 6, sl: 3 * 147.25 },
        ],
        ['new-api/on/2026-03-01T12Z', { u: 1, l: 1, s: 900, ll: 1, ss: 810_000, sl: 900 }],
        ['new-api/off/2026-03-01T11Z', { u: 1, l: 1, s: 12, ll: 1, ss: 144, sl: 12 }],
      ]),
    );
    const orders = [
      [[...events].reverse()],
      [events.slice(0, 2), events.slice(2)],
      [[events[4]!, events[1]!], [events[4]!, events[0]!, events[6]!], [...events].reverse()],
      events.map((e) => [e, e]),
      [events.slice(3), events, events.slice(0, 3)],
    ];
    for (const batches of orders) {
      const cells = cellsAfter(batches);
      expect([...cells.keys()].sort()).toEqual([...once.keys()].sort());
      for (const [key, fields] of once) {
        const got = cells.get(key)!;
        for (const field of new Set([...Object.keys(fields), ...Object.keys(got)])) {
          expect([key, field, got[field] ?? 0]).toEqual([key, field, expect.closeTo(fields[field] ?? 0, 9)]);
        }
      }
    }
  });

  it('gives two cells to a unit active in two hours, and none to events too old to aggregate', () => {
    const stale = safetyEvent('latency', T0 - (SAFETY_DEDUP_HOURS + 1) * HOUR, 10);
    const cells = cellsAfter([[safetyEvent('error', H - 1), safetyEvent('error', H), stale]]);
    expect(cells).toEqual(
      new Map([
        ['new-api/on/2026-03-01T10Z', { u: 1, e: 1, ee: 1 }],
        ['new-api/on/2026-03-01T11Z', { u: 1, e: 1, ee: 1 }],
      ]),
    );
  });

  it('finds every kept event of the hour, even for an event accepted at the very edge of the 48 h', () => {
    const first = merge(emptyUnitState('u1'), [safetyEvent('error', H)], H + 1);
    // The hour's last millisecond, processed when it is just young enough to be aggregated.
    const now = H + HOUR - 1 + SAFETY_DEDUP_HOURS * HOUR;
    const last = merge(first.state, [safetyEvent('error', H + HOUR - 1)], now);
    expect(last.newSafety).toHaveLength(1);
    expect(
      values(unitCellDeltas(first.state.safety, last.newSafety).get('new-api/on/2026-03-01T11Z')),
    ).toEqual({
      e: 1,
      ee: 3,
    });
    // The state written then still holds both (kept ≥ an hour longer than accepted), for whatever comes next.
    expect(last.state.safety).toHaveLength(2);
  });

  it('leaves out events fitBudget dropped: they were never counted, so later ones do not count them as before', () => {
    const kept = merge(emptyUnitState('u1'), [safetyEvent('latency', H + 1, 100)]);
    const extra = merge(
      kept.state,
      Array.from({ length: 20 }, (_, i) => safetyEvent('latency', H + 10 + i, 10)),
    );
    const fitted = fitBudget(extra.state, extra.newSafety, config, encodeState(kept.state).length + 8);
    expect(fitted.safetyDropped).toBe(20);
    expect(unitCellDeltas(kept.state.safety, fitted.newSafety).size).toBe(0);
    const later = merge(fitted.state, [safetyEvent('error', H + 100)]);
    expect(
      values(unitCellDeltas(fitted.state.safety, later.newSafety).get('new-api/on/2026-03-01T11Z')),
    ).toEqual({ e: 1, ee: 1, el: 1 });
  });

  it('leaves out events kept before cells existed (a body without `o`), which still deduplicate', () => {
    const old = merge(emptyUnitState('u1'), [safetyEvent('latency', H + 1, 100)]).state;
    const body = JSON.parse(inflateRawSync(encodeState(old)).toString('utf8')) as { s: { o?: string[] } };
    delete body.s.o;
    const legacy = decodeState('u1', 1, deflateRawSync(JSON.stringify(body)));
    expect(legacy.safety.map((e: StoredSafetyEvent) => e.outsideCells)).toEqual([true]);
    // Still marked after another write, and still a duplicate.
    const again = decodeState('u1', 2, encodeState(legacy));
    expect(again.safety).toEqual(legacy.safety);
    expect(
      merge(again, [{ ...safetyEvent('latency', H + 1, 100), eventId: old.safety[0]!.id }]).changed,
    ).toBe(false);
    // A new event in the same hour: the cell gets a unit of its own figures, as if the old one were not there.
    const next = merge(again, [safetyEvent('latency', H + 2, 30)]);
    expect(values(unitCellDeltas(again.safety, next.newSafety).get('new-api/on/2026-03-01T11Z'))).toEqual({
      u: 1,
      l: 1,
      s: 30,
      ll: 1,
      ss: 900,
      sl: 30,
    });
  });
});

describe('numbers written to DynamoDB', () => {
  it('rounds deltas to 1e-12 of their scale so sums never need more than 38 digits', () => {
    expect(quantize(3, 3)).toBe('3');
    expect(quantize(-2, 5)).toBe('-2');
    expect(quantize(0, 1)).toBeNull();
    expect(quantize(4e-17, 0.3)).toBeNull();
    expect(quantize(0.1 + 0.2, 0.3)).toBe('3000000000000e-13');
    expect(Number(quantize(1234.5678, 1e6))).toBeCloseTo(1234.5678, 6);
    expect(Number(quantize(-2.5e-9, 1e-9))).toBe(-2.5e-9);
    // Symmetric: taking back what was added at the same scale cancels exactly.
    expect(quantize(-0.125e-12, 1)).toBe(null);
    expect(quantize(-2.5e-12, 1)).toBe(`-${quantize(2.5e-12, 1)!}`);
  });
});

describe('histogram', () => {
  it('reads a p95 within a bucket (4.4 %) of the exact one', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 10 + i * 3.7);
    const histogram: Record<number, number> = {};
    for (const v of values) histogram[bucketOf(v)] = (histogram[bucketOf(v)] ?? 0) + 1;
    const exact = [...values].sort((a, b) => a - b)[Math.ceil(0.95 * values.length) - 1]!;
    expect(Math.abs(histogramQuantile(histogram, 0.95)! / exact - 1)).toBeLessThan(0.025);
    expect(histogramQuantile({}, 0.95)).toBeNull();
    expect(bucketOf(0)).toBe(0);
  });
});
