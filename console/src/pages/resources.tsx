import type { Layer } from '../../../shared/layers/requests';
import type { Metric, MetricType } from '../../../shared/metrics/schema';
import type { Segment, SegmentListItem } from '../../../shared/segments/requests';
import {
  commonBody,
  commonFields,
  commonValues,
  ResourceScreen,
  text,
  type FormValues,
  type ResourceSpec,
} from '../ResourceScreen';
import type { Session } from '../session';
import { listOf } from '../ui';

/** Every metric type, with what it measures (a Record, so that the compiler names a type left out). */
const METRIC_TYPES: Readonly<Record<MetricType, string>> = {
  conversion: 'units with at least one event',
  count: 'events per unit',
  sum: 'sum of the values per unit',
  mean: 'mean value per event',
  duration_p95: '95th percentile of the values',
};
const VALUE_TYPES: readonly string[] = ['sum', 'mean', 'duration_p95'];

const metricSpec: ResourceSpec<Metric> = {
  resource: 'metrics',
  path: '/api/v1/metrics',
  title: 'Metrics',
  noun: 'metric',
  intro: 'What experiments measure: each metric counts or sums the track events of one name after exposure.',
  fields: [
    ...commonFields,
    {
      name: 'type',
      label: 'Type',
      kind: 'select',
      options: Object.keys(METRIC_TYPES),
      hint: Object.entries(METRIC_TYPES)
        .map(([type, meaning]) => `${type}: ${meaning}`)
        .join('; '),
    },
    { name: 'eventName', label: 'Event name', required: true },
    { name: 'valueProperty', label: 'Value property (sum, mean, p95; default `value`)' },
    { name: 'direction', label: 'Better when it', kind: 'select', options: ['increase', 'decrease'] },
    { name: 'windowHours', label: 'Window after exposure (hours, optional)', kind: 'number' },
  ],
  columns: [
    { header: 'Key', rowHeader: true, cell: (m) => m.key },
    { header: 'Name', cell: (m) => m.name },
    { header: 'Type', cell: (m) => m.type },
    { header: 'Event', cell: (m) => m.eventName },
    { header: 'Better when', cell: (m) => m.direction },
  ],
  values: (m) => ({
    ...commonValues(m),
    type: m?.type ?? 'conversion',
    eventName: m?.eventName ?? '',
    valueProperty: m?.valueProperty ?? '',
    direction: m?.direction ?? 'increase',
    windowHours: m?.window === undefined ? '' : String(m.window.hours),
  }),
  body: (v: FormValues) => {
    const type = text(v, 'type');
    const valueProperty = text(v, 'valueProperty').trim();
    const hours = text(v, 'windowHours').trim();
    return {
      ...commonBody(v),
      type,
      eventName: text(v, 'eventName'),
      direction: text(v, 'direction'),
      ...(valueProperty !== '' && VALUE_TYPES.includes(type) ? { valueProperty } : {}),
      ...(hours === '' ? {} : { window: { hours: Number(hours) } }),
    };
  },
};

const layerSpec: ResourceSpec<Layer> = {
  resource: 'layers',
  path: '/api/v1/layers',
  title: 'Layers',
  noun: 'layer',
  intro:
    'Experiments in one layer take disjoint ranges of its bucket, so that a unit is in at most one of them.',
  fields: [...commonFields, { name: 'salt', label: 'Bucketing salt (optional; default the key)' }],
  columns: [
    { header: 'Key', rowHeader: true, cell: (l) => l.key },
    { header: 'Name', cell: (l) => l.name },
    { header: 'Tags', cell: (l) => l.tags.join(', ') },
    { header: 'Version', cell: (l) => l.version },
  ],
  values: (l) => ({ ...commonValues(l), salt: l?.salt ?? '' }),
  body: (v) => {
    const salt = text(v, 'salt').trim();
    return { ...commonBody(v), ...(salt === '' ? {} : { salt }) };
  },
};

function parseConditions(source: string): unknown {
  if (source.trim() === '') return undefined;
  try {
    return JSON.parse(source) as unknown;
  } catch {
    throw new Error('Conditions: not JSON (e.g. {"attribute": "country", "op": "in", "values": ["fr"]})');
  }
}

const segmentSpec: ResourceSpec<Segment | SegmentListItem> = {
  resource: 'segments',
  path: '/api/v1/segments',
  title: 'Segments',
  noun: 'segment',
  intro: 'A reusable audience: a unit is in it when included or matching the conditions, and not excluded.',
  fields: [
    ...commonFields,
    {
      name: 'conditions',
      label: 'Conditions (JSON, optional)',
      kind: 'textarea',
      hint: '{"attribute": "plan", "op": "in", "values": ["pro"]}, or {"all": [...]}, {"any": [...]}, {"not": ...}',
    },
    { name: 'included', label: 'Included unit ids (comma-separated)', kind: 'textarea' },
    { name: 'excluded', label: 'Excluded unit ids (comma-separated)', kind: 'textarea' },
  ],
  columns: [
    { header: 'Key', rowHeader: true, cell: (s) => s.key },
    { header: 'Name', cell: (s) => s.name },
    { header: 'Conditions', cell: (s) => (s.conditions === undefined ? 'none' : 'yes') },
    { header: 'Included', cell: (s) => s.included?.length ?? ('includedCount' in s ? s.includedCount : '—') },
    { header: 'Excluded', cell: (s) => s.excluded?.length ?? ('excludedCount' in s ? s.excludedCount : '—') },
  ],
  values: (s) => ({
    ...commonValues(s),
    conditions: s?.conditions === undefined ? '' : JSON.stringify(s.conditions, null, 2),
    included: (s?.included ?? []).join(', '),
    excluded: (s?.excluded ?? []).join(', '),
  }),
  body: (v) => {
    const conditions = parseConditions(text(v, 'conditions'));
    return {
      ...commonBody(v),
      ...(conditions === undefined ? {} : { conditions }),
      included: listOf(text(v, 'included')),
      excluded: listOf(text(v, 'excluded')),
    };
  },
};

export const Metrics = ({ session }: { session: Session }) => (
  <ResourceScreen session={session} spec={metricSpec} />
);
export const Layers = ({ session }: { session: Session }) => (
  <ResourceScreen session={session} spec={layerSpec} />
);
export const Segments = ({ session }: { session: Session }) => (
  <ResourceScreen session={session} spec={segmentSpec} />
);
