import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  errorEventSchema,
  exposureEventSchema,
  latencyEventSchema,
  trackEventSchema,
} from '../../../shared/events/schema';
import {
  EVENT_FIELD_MAPPINGS,
  EVENTS_ALIAS,
  EVENTS_INDEX_PATTERN,
  eventsIndexName,
  eventsIndexTemplate,
  eventsRetentionPolicy,
} from '../../../shared/events/search-index';

const BUNDLE_PATH = path.join(__dirname, '../../../ops/opensearch/dashboards.ndjson');

interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

describe('event index layout', () => {
  it('names the daily index after the UTC date of the timestamp', () => {
    expect(eventsIndexName('2025-01-09T00:00:00Z')).toBe('switchyard-events-2025.01.09');
    expect(eventsIndexName('2025-01-09T01:59:59+02:00')).toBe('switchyard-events-2025.01.08');
    expect(eventsIndexName('2024-12-31T20:00:00-05:00')).toBe('switchyard-events-2025.01.01');
    expect(eventsIndexName(new Date(Date.UTC(2030, 10, 5)))).toBe('switchyard-events-2030.11.05');
    expect(() => eventsIndexName('not a date')).toThrow(/Not a timestamp/);
  });

  it('maps every field of every event type explicitly', () => {
    const fields = new Set(
      [exposureEventSchema, trackEventSchema, errorEventSchema, latencyEventSchema].flatMap((schema) =>
        Object.keys(schema.shape),
      ),
    );
    for (const field of fields) expect(Object.keys(EVENT_FIELD_MAPPINGS)).toContain(field);
    expect(EVENT_FIELD_MAPPINGS.properties).toEqual({ type: 'object', dynamic: false });
  });

  it('gives the daily indices the alias, strict-enough mappings and the stage replicas', () => {
    const template = eventsIndexTemplate({ replicas: 1 });
    expect(template.index_patterns).toEqual([EVENTS_INDEX_PATTERN]);
    // The alias must not match the pattern, or the template would apply to it.
    expect(EVENTS_ALIAS.startsWith(EVENTS_INDEX_PATTERN.replace('*', ''))).toBe(false);
    expect(template.template.aliases).toEqual({ [EVENTS_ALIAS]: {} });
    expect(template.template.mappings.dynamic).toBe(false);
    expect(template.template.settings.number_of_replicas).toBe(1);
  });

  it('deletes daily indices after the retention and attaches itself to new ones', () => {
    const { policy } = eventsRetentionPolicy(30);
    expect(policy.states[0]!.transitions).toEqual([
      { state_name: 'delete', conditions: { min_index_age: '30d' } },
    ]);
    expect(policy.states[1]!.actions).toEqual([{ delete: {} }]);
    expect(policy.ism_template).toEqual([{ index_patterns: [EVENTS_INDEX_PATTERN], priority: 100 }]);
    expect(() => eventsRetentionPolicy(0)).toThrow();
    expect(() => eventsRetentionPolicy(1.5)).toThrow();
  });
});

describe('Dashboards saved-objects bundle (ops/opensearch/dashboards.ndjson)', () => {
  const text = fs.readFileSync(BUNDLE_PATH, 'utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  const objects = lines.map((line) => JSON.parse(line) as SavedObject);
  const byKey = new Map(objects.map((object) => [`${object.type}:${object.id}`, object]));
  const ofType = (type: string) => objects.filter((object) => object.type === type);

  it('is NDJSON: one saved object per line with type, id, attributes and references', () => {
    expect(text.endsWith('\n')).toBe(true);
    for (const object of objects) {
      expect(Object.keys(object).sort()).toEqual(['attributes', 'id', 'references', 'type']);
      expect(typeof object.attributes.title).toBe('string');
    }
    expect(byKey.size).toBe(objects.length);
  });

  it('has an index pattern over the events with timestamp as its time field', () => {
    expect(ofType('index-pattern').map((o) => o.attributes)).toEqual([
      { title: `${EVENTS_ALIAS}*`, timeFieldName: 'timestamp' },
    ]);
  });

  it('has the three visualizations and one dashboard showing all of them', () => {
    expect(ofType('visualization').map((o) => o.attributes.title)).toEqual([
      'Switchyard: exposures over time per variant',
      'Switchyard: events by name',
      'Switchyard: error rate by flag variation',
    ]);
    const [dashboard, ...others] = ofType('dashboard');
    expect(others).toEqual([]);
    const panels = JSON.parse(dashboard!.attributes.panelsJSON as string) as { panelRefName: string }[];
    expect(panels.map((p) => p.panelRefName).sort()).toEqual(dashboard!.references.map((r) => r.name).sort());
    expect(dashboard!.references.map((r) => r.id).sort()).toEqual(
      ofType('visualization')
        .map((o) => o.id)
        .sort(),
    );
  });

  it('resolves every reference to an object of the bundle, by the name the object uses', () => {
    for (const object of objects) {
      for (const reference of object.references) {
        expect(byKey.has(`${reference.type}:${reference.id}`)).toBe(true);
      }
      const meta = object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string } | undefined;
      const source = meta ? (JSON.parse(meta.searchSourceJSON) as { indexRefName?: string }) : {};
      if (source.indexRefName) {
        expect(object.references.map((r) => r.name)).toContain(source.indexRefName);
      }
    }
  });

  it('only uses mapped fields', () => {
    const used = new Set<string>();
    for (const visualization of ofType('visualization')) {
      const state = JSON.parse(visualization.attributes.visState as string) as {
        aggs: { params: { field?: string } }[];
        params: { time_field?: string; series?: { terms_field?: string }[] };
      };
      state.aggs.forEach((agg) => agg.params.field && used.add(agg.params.field));
      if (state.params.time_field) used.add(state.params.time_field);
      state.params.series?.forEach((series) => series.terms_field && used.add(series.terms_field));
    }
    expect([...used].sort()).toEqual([
      'experimentKey',
      'flagVariation',
      'name',
      'timestamp',
      'type',
      'variant',
    ]);
    for (const field of used) expect(Object.keys(EVENT_FIELD_MAPPINGS)).toContain(field);
  });
});
