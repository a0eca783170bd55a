import { analysisSettingsSchema } from '../../../shared/experiments/analysis';
import { ConflictError } from '../../../shared/errors';
import {
  allowedActions,
  canTransition,
  checkLockedFields,
  EXPERIMENT_ACTIONS,
  EXPERIMENT_STATUSES,
  rangesOverlap,
  transition,
  type ExperimentAction,
  type ExperimentStatus,
  type Lifecycle,
  type LockedFields,
} from '../../../shared/experiments/lifecycle';

const LEGAL: Record<string, ExperimentStatus> = {
  'DRAFT start': 'ACTIVE',
  'ACTIVE pause': 'PAUSED',
  'PAUSED resume': 'ACTIVE',
  'ACTIVE complete': 'COMPLETED',
  'PAUSED complete': 'COMPLETED',
  'COMPLETED archive': 'ARCHIVED',
};

const now = new Date('2026-05-01T12:00:00.000Z');
const pairs = EXPERIMENT_STATUSES.flatMap((s) => EXPERIMENT_ACTIONS.map((a) => [s, a] as const));

describe('experiment lifecycle', () => {
  it.each(pairs.filter(([s, a]) => `${s} ${a}` in LEGAL))('%s --%s--> allowed', (status, action) => {
    const after = transition({ key: 'exp', status }, action, now);
    expect(after.status).toBe(LEGAL[`${status} ${action}`]);
    expect(canTransition(status, action)).toBe(true);
  });

  it.each(pairs.filter(([s, a]) => !(`${s} ${a}` in LEGAL)))(
    '%s --%s--> refused with 409 naming the allowed actions',
    (status, action) => {
      expect(canTransition(status, action)).toBe(false);
      let error: unknown;
      try {
        transition({ key: 'exp', status }, action, now);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConflictError);
      const message = (error as ConflictError).message;
      expect(message).toContain(`is ${status}: cannot ${action}`);
      const allowed = allowedActions(status);
      if (allowed.length === 0) expect(message).toContain('no action is allowed');
      else expect(message).toContain(`allowed: ${allowed.join(', ')}`);
      expect((error as ConflictError).details).toEqual({ status, action, allowed });
    },
  );

  it('names the allowed actions of each status', () => {
    expect(Object.fromEntries(EXPERIMENT_STATUSES.map((s) => [s, allowedActions(s)]))).toEqual({
      DRAFT: ['start'],
      ACTIVE: ['pause', 'complete'],
      PAUSED: ['resume', 'complete'],
      COMPLETED: ['archive'],
      ARCHIVED: [],
    });
  });

  it('sets startedAt on start (kept on resume) and endedAt on complete, without touching the input', () => {
    const draft: Lifecycle & { name: string } = { key: 'exp', status: 'DRAFT', name: 'x' };
    const started = transition(draft, 'start', now);
    expect(started).toEqual({ key: 'exp', status: 'ACTIVE', name: 'x', startedAt: now.toISOString() });
    expect(draft.status).toBe('DRAFT');
    const later = new Date('2026-05-02T00:00:00.000Z');
    const resumed = transition(transition(started, 'pause', later), 'resume', later);
    expect(resumed.startedAt).toBe(now.toISOString());
    const completed = transition(resumed, 'complete', later);
    expect(completed).toMatchObject({ status: 'COMPLETED', endedAt: later.toISOString() });
    expect(transition(completed, 'archive', later)).toMatchObject({
      status: 'ARCHIVED',
      startedAt: now.toISOString(),
      endedAt: later.toISOString(),
    });
  });

  it('gives the same result twice for the same input (what a retried scheduler relies on)', () => {
    const action: ExperimentAction = 'start';
    const draft = { key: 'exp', status: 'DRAFT' as const };
    expect(transition(draft, action, now)).toEqual(transition(draft, action, now));
  });
});

describe('locked fields', () => {
  const base: LockedFields = {
    status: 'ACTIVE',
    variants: [
      { key: 'control', weight: 5000, isControl: true },
      { key: 'treatment', weight: 5000, isControl: false },
    ],
    unitAttribute: 'userId',
    layer: 'checkout',
    layerRange: [0, 5000],
    trafficAllocation: 8000,
    primaryMetric: 'purchase',
    secondaryMetrics: ['revenue'],
    guardrailMetrics: [],
  };
  const changes: [string, Partial<LockedFields>][] = [
    ['variants', { variants: [base.variants[0]!, { key: 'other', weight: 5000, isControl: false }] }],
    [
      'variants',
      {
        variants: [
          { key: 'control', weight: 4000, isControl: true },
          { key: 'treatment', weight: 6000, isControl: false },
        ],
      },
    ],
    [
      'variants',
      {
        variants: [
          { key: 'control', weight: 5000, isControl: false },
          { key: 'treatment', weight: 5000, isControl: true },
        ],
      },
    ],
    ['unitAttribute', { unitAttribute: 'accountId' }],
    ['layer', { layer: 'other' }],
    ['layer', { layer: undefined, layerRange: undefined }],
    ['layerRange', { layerRange: [0, 4000] }],
    ['salt', { salt: 'new-salt' }],
    ['flagKey', { flagKey: 'checkout-flag' }],
    ['primaryMetric', { primaryMetric: 'revenue' }],
    ['primaryMetric', { primaryMetric: undefined }],
    ['secondaryMetrics', { secondaryMetrics: ['revenue', 'clicks'] }],
    ['guardrailMetrics', { guardrailMetrics: ['errors'] }],
  ];

  it.each(['ACTIVE', 'PAUSED'] as const)('refuses each locked field while %s, naming it', (status) => {
    for (const [field, change] of changes) {
      expect(() => checkLockedFields({ ...base, status }, { ...base, ...change })).toThrow(
        new ConflictError(`${field} is locked while the experiment is ${status}`),
      );
    }
  });

  it('lets traffic grow but not shrink while running', () => {
    expect(() => checkLockedFields(base, { ...base, trafficAllocation: 9000 })).not.toThrow();
    expect(() => checkLockedFields(base, { ...base, trafficAllocation: 7000 })).toThrow(/may only grow/);
  });

  it('lets variant names and payloads change while running', () => {
    const renamed = base.variants.map((v) => ({ ...v, name: 'renamed', payload: { x: 1 } }));
    expect(() => checkLockedFields(base, { ...base, variants: renamed })).not.toThrow();
  });

  it.each(['ACTIVE', 'PAUSED', 'COMPLETED', 'ARCHIVED'] as const)(
    'locks the analysis settings from the start for good (%s), an old experiment’s defaults included',
    (status) => {
      const settings = analysisSettingsSchema.parse({});
      const stricter = { ...settings, alpha: 0.01 };
      expect(() =>
        checkLockedFields({ ...base, status, analysis: settings }, { ...base, analysis: stricter }),
      ).toThrow(/analysis is locked once the experiment has started/);
      // Stored before settings existed: the defaults are what it was judged by.
      expect(() => checkLockedFields({ ...base, status }, { ...base, analysis: settings })).not.toThrow();
      expect(() => checkLockedFields({ ...base, status }, { ...base, analysis: stricter })).toThrow(
        /analysis is locked/,
      );
      expect(() =>
        checkLockedFields({ ...base, status: 'DRAFT' }, { ...base, analysis: stricter }),
      ).not.toThrow();
    },
  );

  it.each(['DRAFT', 'COMPLETED', 'ARCHIVED'] as const)('locks nothing else while %s', (status) => {
    for (const [, change] of changes) {
      expect(() =>
        checkLockedFields({ ...base, status }, { ...base, ...change, trafficAllocation: 1 }),
      ).not.toThrow();
    }
  });
});

describe('layer ranges', () => {
  it.each([
    [[0, 5000], [5000, 10000], false],
    [[0, 5000], [4999, 6000], true],
    [[1000, 2000], [0, 10000], true],
    [[3000, 4000], [0, 3000], false],
    [[3000, 4000], [3500, 3600], true],
  ] as const)('%j and %j overlap: %s', (a, b, overlap) => {
    expect(rangesOverlap(a, b)).toBe(overlap);
    expect(rangesOverlap(b, a)).toBe(overlap);
  });
});
