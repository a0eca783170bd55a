import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import type { AuditEntry } from '../../shared/audit/schema';
import { createDocumentClient } from '../../shared/aws/clients';
import { ROUTES } from '../../shared/http/routes';
import type { User } from '../../shared/users/schema';
import { requireEngines } from '../support/engines';
import { httpCaller, request } from '../support/http';

const engines = requireEngines(['java']);

/**
 * Who calls. "developerOther" is a developer who owns nothing: it differs from "developer" on owned
 * resources (flags), and must behave the same everywhere else.
 */
const CALLERS = [
  'admin',
  'developer',
  'developerOther',
  'analyst',
  'viewer',
  'noGroup',
  'noToken',
  'expired',
  'otherPool',
] as const;
type Caller = (typeof CALLERS)[number];

/**
 * THE EXPECTATIONS, written by hand from SPEC §1 and the issues — not derived from the code under test.
 * One status per caller, in the order of CALLERS. A route of the route table without a line here fails.
 */
const EXPECTED: Record<string, string> = {
  //                 admin dev devOther analyst viewer noGroup noToken expired otherPool
  getHealth: '       200   200 200      200     200    200     200     200     200',
  getOpenApi: '      200   200 200      200     200    200     200     200     200',
  getCurrentUser: '  200   200 200      200     200    200     401     401     401',
  listUsers: '       200   403 403      403     403    403     401     401     401',
  createUser: '      201   403 403      403     403    403     401     401     401',
  getUser: '         200   403 403      403     403    403     401     401     401',
  setUserRole: '     200   403 403      403     403    403     401     401     401',
  disableUser: '     200   403 403      403     403    403     401     401     401',
  enableUser: '      200   403 403      403     403    403     401     401     401',
  listAudit: '       200   403 403      200     403    403     401     401     401',
  exportAudit: '     200   403 403      200     403    403     401     401     401',
  // Flags: developers change only the flags they own (the fixture flag is owned by "developer").
  listFlags: '       200   200 200      200     200    403     401     401     401',
  createFlag: '      201   201 201      403     403    403     401     401     401',
  getFlag: '         200   200 200      200     200    403     401     401     401',
  replaceFlag: '     200   200 403      403     403    403     401     401     401',
  patchFlag: '       200   200 403      403     403    403     401     401     401',
  deleteFlag: '      204   204 403      403     403    403     401     401     401',
  toggleFlag: '      200   200 403      403     403    403     401     401     401',
  transferFlagOwner: '200  403 403      403     403    403     401     401     401',
  listSegments: '    200   200 200      200     200    403     401     401     401',
  createSegment: '   201   201 201      403     403    403     401     401     401',
  getSegment: '      200   200 200      200     200    403     401     401     401',
  replaceSegment: '  200   200 200      403     403    403     401     401     401',
  patchSegment: '    200   200 200      403     403    403     401     401     401',
  deleteSegment: '   204   204 204      403     403    403     401     401     401',
  // Layers and experiments have no owner: every developer may change them; viewers read them.
  listLayers: '      200   200 200      200     200    403     401     401     401',
  createLayer: '     201   201 201      403     403    403     401     401     401',
  getLayer: '        200   200 200      200     200    403     401     401     401',
  replaceLayer: '    200   200 200      403     403    403     401     401     401',
  patchLayer: '      200   200 200      403     403    403     401     401     401',
  deleteLayer: '     204   204 204      403     403    403     401     401     401',
  // Metrics: no owner, developers change them; viewers read nothing but flags, segments, experiments and
  // rollouts (SPEC §1), so not metric definitions.
  listMetrics: '     200   200 200      200     403    403     401     401     401',
  createMetric: '    201   201 201      403     403    403     401     401     401',
  getMetric: '       200   200 200      200     403    403     401     401     401',
  replaceMetric: '   200   200 200      403     403    403     401     401     401',
  patchMetric: '     200   200 200      403     403    403     401     401     401',
  deleteMetric: '    204   204 204      403     403    403     401     401     401',
  listExperiments: ' 200   200 200      200     200    403     401     401     401',
  createExperiment: '201   201 201      403     403    403     401     401     401',
  getExperiment: '   200   200 200      200     200    403     401     401     401',
  replaceExperiment: '200  200 200      403     403    403     401     401     401',
  patchExperiment: ' 200   200 200      403     403    403     401     401     401',
  deleteExperiment: '204   204 204      403     403    403     401     401     401',
  startExperiment: ' 200   200 200      403     403    403     401     401     401',
  pauseExperiment: ' 200   200 200      403     403    403     401     401     401',
  resumeExperiment: '200   200 200      403     403    403     401     401     401',
  completeExperiment: '200 200 200      403     403    403     401     401     401',
  archiveExperiment: '200  200 200      403     403    403     401     401     401',
  scheduleExperiment: '200 200 200      403     403    403     401     401     401',
  // Results: ANALYST and up; viewers read experiments but not their results (SPEC §1).
  getExperimentResults: '200 200 200    200     403    403     401     401     401',
  // Rollout schedules: like flags, a developer changes only the schedules of flags they own (the fixture flags
  // are owned by "developer"); viewers read them (SPEC §1).
  listRolloutSchedules: '   200 200 200 200 200 403 401 401 401',
  createRolloutSchedule: '  201 201 403 403 403 403 401 401 401',
  getRolloutSchedule: '     200 200 200 200 200 403 401 401 401',
  replaceRolloutSchedule: ' 200 200 403 403 403 403 401 401 401',
  deleteRolloutSchedule: '  204 204 403 403 403 403 401 401 401',
  advanceRolloutSchedule: ' 200 200 403 403 403 403 401 401 401',
  pauseRolloutSchedule: '   200 200 403 403 403 403 401 401 401',
  resumeRolloutSchedule: '  200 200 403 403 403 403 401 401 401',
  // Safety: everyone but viewers reads it (developers, to understand a rollback); only admins change the
  // settings; a flag's config and a manual rollback: admins, and developers for the flags they own (SPEC §1).
  getSafetySettings: '      200 200 200 200 403 403 401 401 401',
  putSafetySettings: '      200 403 403 403 403 403 401 401 401',
  getFlagSafetyConfig: '    200 200 200 200 403 403 401 401 401',
  putFlagSafetyConfig: '    200 200 403 403 403 403 401 401 401',
  rollBackFlag: '           201 201 403 403 403 403 401 401 401',
  listSafetyRollbacks: '    200 200 200 200 403 403 401 401 401',
  getSafetyReport: '        200 200 200 200 403 403 401 401 401',
  // API keys are ADMIN-only (SPEC §1); revoking answers the revoked key.
  listApiKeys: '     200   403 403      403     403    403     401     401     401',
  createApiKey: '    201   403 403      403     403    403     401     401     401',
  revokeApiKey: '    200   403 403      403     403    403     401     401     401',
  // SDK routes take API keys only: a Cognito token is not one, whatever its role.
  evaluate: '        401   401 401      401     401    401     401     401     401',
  assign: '          401   401 401      401     401    401     401     401     401',
  ingestEvents: '    401   401 401      401     401    401     401     401     401',
  getSdkRuleset: '   401   401 401      401     401    401     401     401     401',
  ofrepEvaluateFlag: '401  401 401      401     401    401     401     401     401',
  ofrepEvaluateFlags: '401 401 401      401     401    401     401     401     401',
};

engines.describe('access control, audit and input hardening over HTTP on the local platform', () => {
  let platform: TestPlatform;
  const tokens = {} as Record<Caller, string | undefined>;
  let target: User;
  let counter = 0;

  const call = httpCaller(() => platform.url);

  const flagBody = (key: string) => ({
    key,
    name: `Flag ${key}`,
    kind: 'boolean',
    variations: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    offVariation: 'off',
    fallthrough: { variation: 'on' },
  });
  const segmentBody = (key: string) => ({ key, name: `Segment ${key}`, included: ['u-1'] });
  const versionOf = async (path: string) =>
    ((await call('GET', path, tokens.admin)).json as { version: number }).version;
  /** A fresh flag owned by "developer" (or a fresh segment), so that deletes and audits never collide. */
  const freshFlag = async () => {
    const key = `flag-${++counter}`;
    const res = await call('POST', '/api/v1/feature-flags', tokens.developer, flagBody(key));
    if (res.status !== 201) throw new Error(`fixture flag: ${res.text}`);
    return key;
  };
  const freshSegment = async () => {
    const key = `segment-${++counter}`;
    await call('POST', '/api/v1/segments', tokens.developer, segmentBody(key));
    return key;
  };
  const layerBody = (key: string) => ({ key, name: `Layer ${key}` });
  const metricBody = (key: string) => ({
    key,
    name: `Metric ${key}`,
    type: 'sum',
    eventName: 'purchase',
    valueProperty: 'amount',
  });
  const experimentBody = (key: string) => ({
    key,
    name: `Experiment ${key}`,
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'treatment', name: 'Treatment', weight: 5000 },
    ],
    trafficAllocation: 8000,
  });
  const freshLayer = async () => {
    const key = `layer-${++counter}`;
    const res = await call('POST', '/api/v1/layers', tokens.developer, layerBody(key));
    if (res.status !== 201) throw new Error(`fixture layer: ${res.text}`);
    return key;
  };
  const freshMetric = async () => {
    const key = `metric-${++counter}`;
    const res = await call('POST', '/api/v1/metrics', tokens.developer, metricBody(key));
    if (res.status !== 201) throw new Error(`fixture metric: ${res.text}`);
    return key;
  };
  /** A fresh DRAFT experiment, taken through `actions` (each adds one to its version). */
  const freshExperiment = async (...actions: string[]) => {
    const key = `experiment-${++counter}`;
    const res = await call('POST', '/api/v1/experiments', tokens.developer, experimentBody(key));
    if (res.status !== 201) throw new Error(`fixture experiment: ${res.text}`);
    for (const [i, action] of actions.entries()) {
      const step = await call('POST', `/api/v1/experiments/${key}/${action}`, tokens.developer, {
        version: i + 1,
      });
      if (step.status !== 200) throw new Error(`fixture experiment ${action}: ${step.text}`);
    }
    return key;
  };
  /** A transition from the status `actions` lead to, and the one audit entry it must write. */
  const transitionFixture =
    (action: string, from: string, to: string, ...actions: string[]) =>
    async (): Promise<Fixture> => {
      const key = await freshExperiment(...actions);
      const version = actions.length + 1;
      return {
        path: `/api/v1/experiments/${key}/${action}`,
        body: { version },
        audit: {
          action: `experiment.${action}`,
          kind: 'experiment',
          key,
          before: { status: from, version },
          after: { status: to, version: version + 1 },
        },
      };
    };
  const rolloutStages = [
    { percentage: 1000, trigger: { type: 'manual' } },
    { percentage: 10000, trigger: { type: 'manual' } },
  ];
  /** A fresh schedule rolling out `off` on a fresh flag of "developer", taken through `actions` (+1 version each). */
  const freshRollout = async (...actions: string[]) => {
    const flagKey = await freshFlag();
    const key = `rollout-${++counter}`;
    const body = { key, flagKey, variation: 'off', stages: rolloutStages };
    const res = await call('POST', '/api/v1/rollout-schedules', tokens.developer, body);
    if (res.status !== 201) throw new Error(`fixture rollout: ${res.text}`);
    for (const [i, action] of actions.entries()) {
      const step = await call('POST', `/api/v1/rollout-schedules/${key}/${action}`, tokens.developer, {
        version: i + 1,
      });
      if (step.status !== 200) throw new Error(`fixture rollout ${action}: ${step.text}`);
    }
    return { key, flagKey };
  };
  /** A fresh server key, made by the admin, so that every revoke has one to revoke. */
  const freshApiKey = async () => {
    const res = await call('POST', '/api/v1/api-keys', tokens.admin, {
      name: `key-${++counter}`,
      type: 'server',
    });
    if (res.status !== 201) throw new Error(`fixture API key: ${res.text}`);
    return res.json as { id: string; secret: string };
  };
  const freshUser = async () =>
    (
      await call('POST', '/api/v1/users', tokens.admin, {
        email: `subject-${++counter}@example.com`,
        role: 'viewer',
      })
    ).json as unknown as User;

  interface AuditExpectation {
    action: string;
    kind: string;
    key?: string;
    before: object | null;
    after: object | null;
  }
  interface Fixture {
    readonly path: string;
    readonly body?: unknown;
    /** What the audit entry of a successful call must say. */
    readonly audit?: AuditExpectation;
    /** The entries of the other resources the call changes (a rollout stage changes its flag too), by kind. */
    readonly alsoAudits?: readonly AuditExpectation[];
  }

  /** A valid request for every route: what a caller with the right role would send. */
  const FIXTURES: Record<string, () => Promise<Fixture>> = {
    getHealth: async () => ({ path: '/health' }),
    getOpenApi: async () => ({ path: '/api/v1/openapi.json' }),
    getCurrentUser: async () => ({ path: '/api/v1/users/me' }),
    listUsers: async () => ({ path: '/api/v1/users' }),
    createUser: async () => {
      const email = `new-${++counter}@example.com`;
      return {
        path: '/api/v1/users',
        body: { email, role: 'viewer' },
        audit: {
          action: 'user.create',
          kind: 'user',
          before: null,
          after: { email, role: 'viewer', enabled: true },
        },
      };
    },
    getUser: async () => ({ path: `/api/v1/users/${target.id}` }),
    setUserRole: async () => {
      const user = await freshUser();
      return {
        path: `/api/v1/users/${user.id}/role`,
        body: { role: 'developer' },
        audit: {
          action: 'user.setRole',
          kind: 'user',
          key: user.id,
          before: { role: 'viewer' },
          after: { role: 'developer' },
        },
      };
    },
    disableUser: async () => {
      const user = await freshUser();
      return {
        path: `/api/v1/users/${user.id}/disable`,
        audit: {
          action: 'user.disable',
          kind: 'user',
          key: user.id,
          before: { enabled: true },
          after: { enabled: false },
        },
      };
    },
    enableUser: async () => {
      const user = await freshUser();
      await call('POST', `/api/v1/users/${user.id}/disable`, tokens.admin);
      return {
        path: `/api/v1/users/${user.id}/enable`,
        audit: {
          action: 'user.enable',
          kind: 'user',
          key: user.id,
          before: { enabled: false },
          after: { enabled: true },
        },
      };
    },
    listAudit: async () => ({ path: '/api/v1/audit' }),
    exportAudit: async () => ({ path: '/api/v1/audit/export' }),
    listFlags: async () => ({ path: '/api/v1/feature-flags?page_size=5' }),
    createFlag: async () => {
      const key = `new-flag-${++counter}`;
      return {
        path: '/api/v1/feature-flags',
        body: flagBody(key),
        audit: { action: 'flag.create', kind: 'flag', key, before: null, after: { key, version: 1 } },
      };
    },
    getFlag: async () => ({ path: `/api/v1/feature-flags/${await freshFlag()}` }),
    replaceFlag: async () => {
      const key = await freshFlag();
      const { key: _key, ...fields } = flagBody(key);
      return {
        path: `/api/v1/feature-flags/${key}`,
        body: { ...fields, name: 'Renamed', version: 1 },
        audit: {
          action: 'flag.update',
          kind: 'flag',
          key,
          before: { version: 1 },
          after: { name: 'Renamed', version: 2 },
        },
      };
    },
    patchFlag: async () => {
      const key = await freshFlag();
      return {
        path: `/api/v1/feature-flags/${key}`,
        body: { description: 'patched', version: 1 },
        audit: {
          action: 'flag.update',
          kind: 'flag',
          key,
          before: { description: '' },
          after: { description: 'patched', version: 2 },
        },
      };
    },
    deleteFlag: async () => {
      const key = await freshFlag();
      return {
        path: `/api/v1/feature-flags/${key}`,
        audit: { action: 'flag.delete', kind: 'flag', key, before: { key }, after: null },
      };
    },
    toggleFlag: async () => {
      const key = await freshFlag();
      return {
        path: `/api/v1/feature-flags/${key}/toggle`,
        body: { version: 1 },
        audit: {
          action: 'flag.toggle',
          kind: 'flag',
          key,
          before: { enabled: false },
          after: { enabled: true },
        },
      };
    },
    transferFlagOwner: async () => {
      const key = await freshFlag();
      const owner = ((await call('GET', '/api/v1/users/me', tokens.developerOther)).json as { sub: string })
        .sub;
      return {
        path: `/api/v1/feature-flags/${key}/owner`,
        body: { owner, version: 1 },
        audit: { action: 'flag.transferOwner', kind: 'flag', key, before: { version: 1 }, after: { owner } },
      };
    },
    listSegments: async () => ({ path: '/api/v1/segments' }),
    createSegment: async () => {
      const key = `new-segment-${++counter}`;
      return {
        path: '/api/v1/segments',
        body: segmentBody(key),
        audit: { action: 'segment.create', kind: 'segment', key, before: null, after: { key } },
      };
    },
    getSegment: async () => ({ path: `/api/v1/segments/${await freshSegment()}` }),
    replaceSegment: async () => {
      const key = await freshSegment();
      const { key: _key, ...fields } = segmentBody(key);
      return {
        path: `/api/v1/segments/${key}`,
        body: { ...fields, included: ['u-2'], version: await versionOf(`/api/v1/segments/${key}`) },
        audit: {
          action: 'segment.update',
          kind: 'segment',
          key,
          before: { included: ['u-1'] },
          after: { included: ['u-2'] },
        },
      };
    },
    patchSegment: async () => {
      const key = await freshSegment();
      return {
        path: `/api/v1/segments/${key}`,
        body: { name: 'Patched', version: 1 },
        audit: {
          action: 'segment.update',
          kind: 'segment',
          key,
          before: { version: 1 },
          after: { name: 'Patched', version: 2 },
        },
      };
    },
    deleteSegment: async () => {
      const key = await freshSegment();
      return {
        path: `/api/v1/segments/${key}`,
        audit: { action: 'segment.delete', kind: 'segment', key, before: { key }, after: null },
      };
    },
    listLayers: async () => ({ path: '/api/v1/layers?page_size=5' }),
    createLayer: async () => {
      const key = `new-layer-${++counter}`;
      return {
        path: '/api/v1/layers',
        body: layerBody(key),
        audit: { action: 'layer.create', kind: 'layer', key, before: null, after: { key, version: 1 } },
      };
    },
    getLayer: async () => ({ path: `/api/v1/layers/${await freshLayer()}` }),
    replaceLayer: async () => {
      const key = await freshLayer();
      return {
        path: `/api/v1/layers/${key}`,
        body: { name: 'Renamed', version: 1 },
        audit: {
          action: 'layer.update',
          kind: 'layer',
          key,
          before: { version: 1 },
          after: { name: 'Renamed', version: 2 },
        },
      };
    },
    patchLayer: async () => {
      const key = await freshLayer();
      return {
        path: `/api/v1/layers/${key}`,
        body: { description: 'patched', version: 1 },
        audit: {
          action: 'layer.update',
          kind: 'layer',
          key,
          before: { description: '' },
          after: { description: 'patched', version: 2 },
        },
      };
    },
    deleteLayer: async () => {
      const key = await freshLayer();
      return {
        path: `/api/v1/layers/${key}`,
        audit: { action: 'layer.delete', kind: 'layer', key, before: { key }, after: null },
      };
    },
    listMetrics: async () => ({ path: '/api/v1/metrics?type=sum&page_size=5' }),
    createMetric: async () => {
      const key = `new-metric-${++counter}`;
      return {
        path: '/api/v1/metrics',
        body: metricBody(key),
        audit: {
          action: 'metric.create',
          kind: 'metric',
          key,
          before: null,
          after: { key, direction: 'increase', version: 1 },
        },
      };
    },
    getMetric: async () => ({ path: `/api/v1/metrics/${await freshMetric()}` }),
    replaceMetric: async () => {
      const key = await freshMetric();
      const { key: _key, ...fields } = metricBody(key);
      return {
        path: `/api/v1/metrics/${key}`,
        body: { ...fields, type: 'mean', version: 1 },
        audit: {
          action: 'metric.update',
          kind: 'metric',
          key,
          before: { type: 'sum', version: 1 },
          after: { type: 'mean', valueProperty: 'amount', version: 2 },
        },
      };
    },
    patchMetric: async () => {
      const key = await freshMetric();
      return {
        path: `/api/v1/metrics/${key}`,
        body: { direction: 'decrease', version: 1 },
        audit: {
          action: 'metric.update',
          kind: 'metric',
          key,
          before: { direction: 'increase' },
          after: { direction: 'decrease', type: 'sum', version: 2 },
        },
      };
    },
    deleteMetric: async () => {
      const key = await freshMetric();
      return {
        path: `/api/v1/metrics/${key}`,
        audit: { action: 'metric.delete', kind: 'metric', key, before: { key }, after: null },
      };
    },
    listExperiments: async () => ({ path: '/api/v1/experiments?status=DRAFT&page_size=5' }),
    createExperiment: async () => {
      const key = `new-experiment-${++counter}`;
      return {
        path: '/api/v1/experiments',
        body: experimentBody(key),
        audit: {
          action: 'experiment.create',
          kind: 'experiment',
          key,
          before: null,
          after: { key, status: 'DRAFT', version: 1 },
        },
      };
    },
    getExperiment: async () => ({ path: `/api/v1/experiments/${await freshExperiment()}` }),
    getExperimentResults: async () => ({ path: `/api/v1/experiments/${await freshExperiment()}/results` }),
    replaceExperiment: async () => {
      const key = await freshExperiment();
      const { key: _key, ...fields } = experimentBody(key);
      return {
        path: `/api/v1/experiments/${key}`,
        body: { ...fields, trafficAllocation: 9000, version: 1 },
        audit: {
          action: 'experiment.update',
          kind: 'experiment',
          key,
          before: { trafficAllocation: 8000, version: 1 },
          after: { trafficAllocation: 9000, version: 2 },
        },
      };
    },
    patchExperiment: async () => {
      const key = await freshExperiment();
      return {
        path: `/api/v1/experiments/${key}`,
        body: { description: 'patched', version: 1 },
        audit: {
          action: 'experiment.update',
          kind: 'experiment',
          key,
          before: { description: '' },
          after: { description: 'patched', trafficAllocation: 8000, version: 2 },
        },
      };
    },
    deleteExperiment: async () => {
      const key = await freshExperiment();
      return {
        path: `/api/v1/experiments/${key}`,
        audit: { action: 'experiment.delete', kind: 'experiment', key, before: { key }, after: null },
      };
    },
    startExperiment: transitionFixture('start', 'DRAFT', 'ACTIVE'),
    pauseExperiment: transitionFixture('pause', 'ACTIVE', 'PAUSED', 'start'),
    resumeExperiment: transitionFixture('resume', 'PAUSED', 'ACTIVE', 'start', 'pause'),
    completeExperiment: transitionFixture('complete', 'ACTIVE', 'COMPLETED', 'start'),
    archiveExperiment: transitionFixture('archive', 'COMPLETED', 'ARCHIVED', 'start', 'complete'),
    scheduleExperiment: async () => {
      const key = await freshExperiment();
      const schedule = { startAt: '2030-01-01T00:00:00Z', endAt: '2030-01-02T00:00:00Z' };
      return {
        path: `/api/v1/experiments/${key}/schedule`,
        body: { ...schedule, version: 1 },
        audit: {
          action: 'experiment.schedule',
          kind: 'experiment',
          key,
          before: { status: 'DRAFT', version: 1 },
          after: { ...schedule, version: 2 },
        },
      };
    },
    listRolloutSchedules: async () => ({ path: '/api/v1/rollout-schedules?status=PENDING&page_size=5' }),
    createRolloutSchedule: async () => {
      const flagKey = await freshFlag();
      const key = `new-rollout-${++counter}`;
      return {
        path: '/api/v1/rollout-schedules',
        body: { key, flagKey, variation: 'off', stages: rolloutStages },
        audit: {
          action: 'rollout.create',
          kind: 'rollout',
          key,
          before: null,
          after: { key, flagKey, status: 'PENDING', currentStage: -1, version: 1 },
        },
      };
    },
    getRolloutSchedule: async () => ({ path: `/api/v1/rollout-schedules/${(await freshRollout()).key}` }),
    replaceRolloutSchedule: async () => {
      const { key, flagKey } = await freshRollout();
      const stages = [rolloutStages[0], { percentage: 5000, trigger: { type: 'manual' } }, rolloutStages[1]];
      return {
        path: `/api/v1/rollout-schedules/${key}`,
        body: { flagKey, variation: 'off', stages, version: 1 },
        audit: {
          action: 'rollout.update',
          kind: 'rollout',
          key,
          before: { version: 1 },
          after: { stages, version: 2 },
        },
      };
    },
    deleteRolloutSchedule: async () => {
      const { key } = await freshRollout();
      return {
        path: `/api/v1/rollout-schedules/${key}`,
        audit: { action: 'rollout.delete', kind: 'rollout', key, before: { key }, after: null },
      };
    },
    advanceRolloutSchedule: async () => {
      const { key, flagKey } = await freshRollout();
      const split = {
        allocations: [
          { variation: 'off', weight: 1000 },
          { variation: 'on', weight: 9000 },
        ],
      };
      return {
        path: `/api/v1/rollout-schedules/${key}/advance`,
        body: { version: 1 },
        audit: {
          action: 'rollout.advance',
          kind: 'rollout',
          key,
          before: { status: 'PENDING', currentStage: -1 },
          after: { status: 'ACTIVE', currentStage: 0, replacedVariation: 'on', version: 2 },
        },
        alsoAudits: [
          {
            action: 'flag.rollout',
            kind: 'flag',
            key: flagKey,
            before: { fallthrough: { variation: 'on' }, version: 1 },
            after: { fallthrough: split, version: 2 },
          },
        ],
      };
    },
    pauseRolloutSchedule: async () => {
      const { key } = await freshRollout('advance');
      return {
        path: `/api/v1/rollout-schedules/${key}/pause`,
        body: { version: 2 },
        audit: {
          action: 'rollout.pause',
          kind: 'rollout',
          key,
          before: { status: 'ACTIVE', version: 2 },
          after: { status: 'PAUSED', version: 3 },
        },
      };
    },
    resumeRolloutSchedule: async () => {
      const { key } = await freshRollout('advance', 'pause');
      return {
        path: `/api/v1/rollout-schedules/${key}/resume`,
        body: { version: 3 },
        audit: {
          action: 'rollout.resume',
          kind: 'rollout',
          key,
          before: { status: 'PAUSED', version: 3 },
          after: { status: 'ACTIVE', version: 4 },
        },
      };
    },
    getSafetySettings: async () => ({ path: '/api/v1/safety/settings' }),
    putSafetySettings: async () => {
      // Version 0 creates them (audited `safetySettings.create`): make sure they exist, so that this is an update.
      if ((await versionOf('/api/v1/safety/settings')) === 0) {
        await call('PUT', '/api/v1/safety/settings', tokens.admin, { version: 0 });
      }
      const version = await versionOf('/api/v1/safety/settings');
      return {
        path: '/api/v1/safety/settings',
        body: { enabled: true, windowMinutes: 5, version },
        audit: {
          action: 'safetySettings.update',
          kind: 'safetySettings',
          key: 'global',
          before: { version },
          after: { enabled: true, windowMinutes: 5, version: version + 1 },
        },
      };
    },
    getFlagSafetyConfig: async () => ({ path: `/api/v1/safety/feature-flags/${await freshFlag()}/config` }),
    putFlagSafetyConfig: async () => {
      const key = await freshFlag();
      return {
        path: `/api/v1/safety/feature-flags/${key}/config`,
        body: { action: 'off', maxErrorRate: 0.1, version: 0 },
        audit: {
          action: 'safetyConfig.create',
          kind: 'safetyConfig',
          key,
          before: null,
          after: { key, action: 'off', maxErrorRate: 0.1, version: 1 },
        },
      };
    },
    rollBackFlag: async () => {
      // A ramp at its first stage (10 % of `off`): rolling it back takes it to 0 %, ROLLED_BACK.
      const { key, flagKey } = await freshRollout('advance');
      return {
        path: `/api/v1/safety/rollback/${flagKey}`,
        body: { reason: 'fixture' },
        audit: {
          action: 'safetyRollback.create',
          kind: 'safetyRollback',
          before: null,
          after: { flagKey, trigger: 'manual', applied: 'rollout_previous_stage', reason: 'fixture' },
        },
        alsoAudits: [
          {
            action: 'rollout.rollBack',
            kind: 'rollout',
            key,
            before: { status: 'ACTIVE', currentStage: 0 },
            after: { status: 'ROLLED_BACK', version: 3 },
          },
          {
            action: 'flag.rollout',
            kind: 'flag',
            key: flagKey,
            before: { version: 2 },
            after: {
              fallthrough: {
                allocations: [
                  { variation: 'off', weight: 0 },
                  { variation: 'on', weight: 10000 },
                ],
              },
              version: 3,
            },
          },
        ],
      };
    },
    listSafetyRollbacks: async () => ({ path: '/api/v1/safety/rollbacks?page_size=5' }),
    getSafetyReport: async () => ({ path: '/api/v1/safety/report' }),
    listApiKeys: async () => ({ path: '/api/v1/api-keys?type=server' }),
    evaluate: async () => ({ path: '/api/v1/evaluate', body: { context: { targetingKey: 'u' } } }),
    assign: async () => ({ path: '/api/v1/assignments', body: { unitId: 'u' } }),
    ingestEvents: async () => ({
      path: '/api/v1/events',
      body: {
        events: [
          {
            eventId: randomUUID(),
            type: 'track',
            name: 'x',
            unitId: 'u',
            timestamp: new Date().toISOString(),
          },
        ],
      },
    }),
    getSdkRuleset: async () => ({ path: '/api/v1/sdk/ruleset' }),
    ofrepEvaluateFlag: async () => ({
      path: '/ofrep/v1/evaluate/flags/anything',
      body: { context: { targetingKey: 'u' } },
    }),
    ofrepEvaluateFlags: async () => ({
      path: '/ofrep/v1/evaluate/flags',
      body: { context: { targetingKey: 'u' } },
    }),
    createApiKey: async () => {
      const name = `new-key-${++counter}`;
      return {
        path: '/api/v1/api-keys',
        body: { name, type: 'client' },
        audit: {
          action: 'apiKey.create',
          kind: 'apiKey',
          before: null,
          after: { name, type: 'client', revokedAt: null },
        },
      };
    },
    revokeApiKey: async () => {
      const { id } = await freshApiKey();
      return {
        path: `/api/v1/api-keys/${id}`,
        audit: {
          action: 'apiKey.revoke',
          kind: 'apiKey',
          key: id,
          before: { id, revokedAt: null },
          after: { id, revokedAt: expect.any(String) as string },
        },
      };
    },
  };

  beforeAll(async () => {
    platform = await startTestPlatform({});
    const { identity } = platform;
    tokens.admin = (await identity.signIn({ role: 'admin', email: 'admin@example.com' })).token;
    tokens.developer = (await identity.signIn({ role: 'developer', email: 'dev@example.com' })).token;
    tokens.developerOther = (await identity.signIn({ role: 'developer', email: 'dev2@example.com' })).token;
    tokens.analyst = (await identity.signIn({ role: 'analyst', email: 'analyst@example.com' })).token;
    tokens.viewer = (await identity.signIn({ role: 'viewer', email: 'viewer@example.com' })).token;
    tokens.noGroup = (await identity.signIn({ role: 'none', email: 'nobody@example.com' })).token;
    tokens.noToken = undefined;
    tokens.expired = identity.mint({
      role: 'admin',
      now: new Date(Date.now() - 7_200_000),
      expiresInSeconds: 60,
    });
    tokens.otherPool = identity.mint({
      role: 'admin',
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse',
    });
    const created = await call('POST', '/api/v1/users', tokens.admin, {
      email: 'target@example.com',
      role: 'viewer',
    });
    target = created.json as unknown as User;
  }, scaledMs(90_000));

  afterAll(() => platform?.stop());

  describe('the role × route matrix', () => {
    it('has a hand-written expectation and a fixture for every route of the route table, and none for routes that do not exist', () => {
      expect(Object.keys(EXPECTED).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
      expect(Object.keys(FIXTURES).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
    });

    it.each(ROUTES.map((r) => [r.operationId, r] as const))(
      '%s answers each caller as expected',
      async (_id, route) => {
        const expected = (EXPECTED[route.operationId] ?? '').trim().split(/\s+/).map(Number);
        // The callers side by side: each has a fixture of its own (fresh keys), made just before its call.
        const actual = await Promise.all(
          CALLERS.map(async (caller) => {
            const { path, body } = await FIXTURES[route.operationId]!();
            const res = await call(route.method, path, tokens[caller], body);
            if (res.status >= 400)
              expect(res.json).toMatchObject({ code: expect.any(String), message: expect.any(String) });
            return res.status;
          }),
        );
        expect(Object.fromEntries(CALLERS.map((c, i) => [c, actual[i]]))).toEqual(
          Object.fromEntries(CALLERS.map((c, i) => [c, expected[i]])),
        );
      },
    );

    it('says which action was refused when the caller may read but not change', async () => {
      const res = await call('PUT', `/api/v1/users/${target.id}/role`, tokens.viewer, { role: 'admin' });
      expect(res.json?.message).toBe('Role viewer may not update or read users');
      const audit = await call('GET', '/api/v1/audit', tokens.developer);
      expect(audit.json?.message).toBe('Role developer may not read audit');
    });

    it('gives 404 for a missing user only to callers who may read users', async () => {
      expect((await call('GET', '/api/v1/users/no-such-user', tokens.admin)).status).toBe(404);
      expect((await call('GET', '/api/v1/users/no-such-user', tokens.analyst)).status).toBe(403);
    });
  });

  describe('every mutation writes exactly its audit entries (one per resource it changes)', () => {
    const auditEntries = async (): Promise<AuditEntry[]> => {
      const doc = createDocumentClient();
      const items = (await doc.send(new ScanCommand({ TableName: platform.tableNames.audit }))).Items ?? [];
      doc.destroy();
      return items as AuditEntry[];
    };
    /** The ids of the entries, all that a "before" needs (the whole items of the log cost far more to read). */
    const auditIds = async (): Promise<Set<string>> => {
      const doc = createDocumentClient();
      const items =
        (
          await doc.send(
            new ScanCommand({
              TableName: platform.tableNames.audit,
              ProjectionExpression: '#id',
              ExpressionAttributeNames: { '#id': 'id' },
            }),
          )
        ).Items ?? [];
      doc.destroy();
      return new Set(items.map((item) => (item as { id: string }).id));
    };

    // Management changes; SDK POSTs (evaluate, OFREP) read only.
    const mutating = ROUTES.filter((r) => r.method !== 'GET' && r.auth === 'cognito');

    it('has an audit expectation for every mutating route', async () => {
      const fixtures = await Promise.all(mutating.map((route) => FIXTURES[route.operationId]!()));
      for (const fixture of fixtures) expect(fixture.audit).toBeDefined();
    });

    it.each(mutating.map((r) => [r.operationId, r] as const))('%s', async (_id, route) => {
      const fixture = await FIXTURES[route.operationId]!();
      const expected = fixture.audit!;
      const before = await auditIds();
      const res = await call(route.method, fixture.path, tokens.admin, fixture.body);
      expect(res.status).toBeLessThan(300);
      const added = (await auditEntries()).filter((e) => !before.has(e.id));
      const expectations = [expected, ...(fixture.alsoAudits ?? [])];
      expect(added).toHaveLength(expectations.length);
      // Creates name their resource in the answer: a user's id, an API key's id, a rollback record's id.
      const createdId = ['createUser', 'createApiKey', 'rollBackFlag'].includes(route.operationId)
        ? (res.json as { id: string }).id
        : undefined;
      for (const expectation of expectations) {
        const entry = added.find((e) => e.resourceKind === expectation.kind);
        expect(entry).toMatchObject({
          actorName: 'admin@example.com',
          action: expectation.action,
          resourceKind: expectation.kind,
          resourceKey: expectation.key ?? createdId,
          requestId: res.headers.get('x-amzn-requestid'),
          before: expectation.before === null ? null : expect.objectContaining(expectation.before),
          after: expectation.after === null ? null : expect.objectContaining(expectation.after),
        });
        expect(entry?.actor).toMatch(/^[0-9a-f-]{36}$/);
      }
      // An API key's secret is answered once and kept nowhere else, least of all in the audit log.
      if (route.operationId === 'createApiKey') {
        const secret = (res.json as { secret: string }).secret;
        expect(JSON.stringify(added[0])).not.toContain(secret.slice(10));
      }
    });

    it('audits nothing for a refused or failed change', async () => {
      const before = await auditIds();
      await call('PUT', `/api/v1/users/${target.id}/role`, tokens.viewer, { role: 'admin' });
      await call('PUT', '/api/v1/users/no-such-user/role', tokens.admin, { role: 'admin' });
      await call('POST', '/api/v1/users', tokens.admin, { email: 'target@example.com', role: 'viewer' });
      expect(await auditIds()).toEqual(before);
    });

    it('exports the log as NDJSON for admins and analysts', async () => {
      const res = await call(
        'GET',
        `/api/v1/audit/export?resourceKind=user&resourceKey=${target.id}`,
        tokens.analyst,
      );
      expect(res.headers.get('content-type')).toBe('application/x-ndjson');
      const lines = res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditEntry);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((e) => e.resourceKey === target.id)).toBe(true);
    });
  });

  describe('users end to end', () => {
    it('an admin invites an analyst, promotes them to developer, and their next token carries the new role', async () => {
      const created = await call('POST', '/api/v1/users', tokens.admin, {
        email: 'promote-me@example.com',
        role: 'analyst',
      });
      expect(created.status).toBe(201);
      const user = created.json as unknown as User;
      const first = await platform.identity.signIn({ email: 'promote-me@example.com' });
      expect((await call('GET', '/api/v1/users/me', first.token)).json).toMatchObject({ role: 'analyst' });
      expect(
        (await call('PUT', `/api/v1/users/${user.id}/role`, tokens.admin, { role: 'developer' })).json,
      ).toMatchObject({ role: 'developer' });
      const second = await platform.identity.signIn({ email: 'promote-me@example.com' });
      expect((await call('GET', '/api/v1/users/me', second.token)).json).toMatchObject({
        role: 'developer',
        sub: user.id,
      });
      await call('POST', `/api/v1/users/${user.id}/disable`, tokens.admin);
      await expect(platform.identity.signIn({ email: 'promote-me@example.com' })).rejects.toThrow(/disabled/);
    });

    it('keeps an admin from locking themselves out', async () => {
      const me = (await call('GET', '/api/v1/users/me', tokens.admin)).json as { sub: string };
      expect((await call('POST', `/api/v1/users/${me.sub}/disable`, tokens.admin)).status).toBe(409);
      expect(
        (await call('PUT', `/api/v1/users/${me.sub}/role`, tokens.admin, { role: 'viewer' })).status,
      ).toBe(409);
    });

    it('paginates the user list', async () => {
      const page = (await call('GET', '/api/v1/users?page=1&page_size=2', tokens.admin)).json;
      expect(page).toMatchObject({ page: 1, page_size: 2, items: expect.any(Array) });
      expect((page?.items as unknown[]).length).toBe(2);
      expect((await call('GET', '/api/v1/users?page_size=101', tokens.admin)).status).toBe(400);
    });
  });

  describe('fuzzing every route with bad input', () => {
    const jsonish = fc.oneof(
      fc.jsonValue(),
      fc.string({ maxLength: 200 }),
      fc.constant('{"unterminated":'),
      fc.record({ email: fc.anything(), role: fc.anything(), extra: fc.anything() }, { requiredKeys: [] }),
      fc.record({ role: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), unknownField: fc.boolean() }),
      fc.constant({ email: 'x'.repeat(100_000) + '@example.com', role: 'viewer' }),
    );
    const segment = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.constantFrom('..', '%00', '%ZZ', ' ', 'a%2Fb', 'é', '💥', 'x'.repeat(300)),
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'page',
        'page_size',
        'from',
        'to',
        'actor',
        'resourceKind',
        'resourceKey',
        'unknown',
        'q',
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('-1', '0', '1e9', 'NaN', '2026-13-45T99:00:00Z', ''),
      ),
      { maxKeys: 4 },
    );

    const snapshot = async () => {
      const doc = createDocumentClient();
      const [audit, config, apiKeys, users] = await Promise.all([
        doc
          .send(new ScanCommand({ TableName: platform.tableNames.audit, Select: 'COUNT' }))
          .then((answer) => answer.Count),
        doc
          .send(new ScanCommand({ TableName: platform.tableNames.config, Select: 'COUNT' }))
          .then((answer) => answer.Count),
        // Items, not a count: a revoke changes an item in place.
        doc.send(new ScanCommand({ TableName: platform.tableNames.apiKeys })).then((answer) => answer.Items),
        platform.identity.directory.list().then((list) => JSON.stringify(list)),
      ]);
      doc.destroy();
      return { audit, config, apiKeys, users };
    };
    /**
     * The state a route's test ended on, which the next one starts from: nothing of this file runs between two
     * tests, so it is the same snapshot taken twice. Unset before the first, and after a test that threw before
     * taking it.
     */
    let lastSnapshot: Awaited<ReturnType<typeof snapshot>> | undefined;

    it.each(ROUTES.map((r) => [r.operationId, r] as const))(
      '%s: a 4xx JSON error, never a 5xx, and nothing changes',
      async (_id, route) => {
        const before = lastSnapshot ?? (await snapshot());
        lastSnapshot = undefined;
        await fc.assert(
          fc.asyncProperty(jsonish, segment, query, fc.boolean(), async (body, id, params, sendRaw) => {
            const path = route.path.replace('{id}', encodeURIComponent(id));
            const search = new URLSearchParams(params).toString();
            const url = search === '' ? path : `${path}?${search}`;
            const hasBody = route.method !== 'GET';
            const res = await request(platform.url, route.method, url, {
              credential: tokens.admin,
              body: hasBody && !sendRaw ? body : undefined,
              rawBody:
                hasBody && sendRaw ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
            });
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.json).toMatchObject({ code: expect.any(String), message: expect.any(String) });
            }
            // Routes that take no input have nothing to refuse; every other route must refuse garbage.
            if (route.request !== undefined && route.operationId !== 'getUser') {
              const couldBeValid = route.method === 'GET' && Object.keys(params).length === 0;
              if (!couldBeValid) expect(res.status).toBeGreaterThanOrEqual(400);
            }
          }),
          { numRuns: 25, seed: 42 },
        );
        lastSnapshot = await snapshot();
        expect(lastSnapshot).toEqual(before);
      },
      scaledMs(60_000),
    );
  });
});
