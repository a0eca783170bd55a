import { rulesetView } from '../../../shared/evaluation/flag-facts';
import { AssignmentService, type Exposure } from '../../../shared/assignments';
import { assignBodySchema } from '../../../shared/assignments/schema';
import { evaluateBodySchema } from '../../../shared/evaluation/schema';
import { EvaluationService } from '../../../shared/evaluation/service';
import type { UsageRecorder } from '../../../shared/evaluation/usage';
import { eventSchema } from '../../../shared/events/schema';
import { compileRuleset, type Ruleset } from '../../../shared/rules';
import type { RulesetSource } from '../../../shared/rulesets/source';

/**
 * One unit-id rule for every route (issue 16): events take unit ids of 1–256 characters, so `/assignments`,
 * `/evaluate` and OFREP refuse a longer one (400 naming the attribute) instead of answering an assignment whose
 * exposure the events stream would then refuse.
 */
const variants = [
  { key: 'control', weight: 5000, isControl: true },
  { key: 'treatment', weight: 5000, isControl: false },
];
const ruleset: Ruleset = {
  revision: 2,
  hashVersion: 1,
  segments: [],
  flags: [
    {
      key: 'checkout',
      kind: 'boolean',
      variations: [
        { key: 'control', value: false },
        { key: 'treatment', value: true },
      ],
      enabled: true,
      clientSide: true,
      offVariation: 'control',
      fallthrough: { variation: 'control' },
      rules: [],
    },
  ],
  experiments: [
    { key: 'by-user', variants, trafficAllocation: 10_000, unitAttribute: 'userId', flagKey: 'checkout' },
    { key: 'by-account', variants, trafficAllocation: 10_000, unitAttribute: 'account.id' },
  ],
};

const exposed: Exposure[] = [];
const source = {
  get: async () => compileRuleset(ruleset),
  body: async () => ({ revision: ruleset.revision, body: JSON.stringify(ruleset) }),
  view: async () => ({ revision: ruleset.revision, view: rulesetView(ruleset) }),
} as unknown as RulesetSource;
const exposures = { log: async (e: readonly Exposure[]) => void exposed.push(...e) };
const assignments = new AssignmentService(source, exposures);
const evaluation = new EvaluationService(
  source,
  { record: () => undefined } as unknown as UsageRecorder,
  exposures,
);
const server = { keyType: 'server' as const };
const long = 'u'.repeat(257);
const longest = 'u'.repeat(256);

beforeEach(() => (exposed.length = 0));

describe('the unit-id rule of events', () => {
  it('is 1–256 characters', () => {
    const event = {
      eventId: '0b9a4d1e-4f0a-4e43-9b55-1d1c2b3a4f5e',
      type: 'track',
      name: 'x',
      timestamp: new Date().toISOString(),
    };
    expect(eventSchema.safeParse({ ...event, unitId: longest }).success).toBe(true);
    expect(eventSchema.safeParse({ ...event, unitId: long }).success).toBe(false);
  });
});

describe('/evaluate and /assignments bodies (the edge)', () => {
  it.each([
    ['evaluate', evaluateBodySchema, { context: { targetingKey: long } }, ['context', 'targetingKey']],
    ['evaluate', evaluateBodySchema, { context: { userId: long } }, ['context', 'userId']],
    ['assignments', assignBodySchema, { context: { targetingKey: long } }, ['context', 'targetingKey']],
    ['assignments', assignBodySchema, { unitId: long }, ['unitId']],
  ])('%s refuses %j naming the field', (_route, schema, body, path) => {
    const result = schema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('takes 256 characters, and leaves other attributes alone', () => {
    expect(evaluateBodySchema.safeParse({ context: { targetingKey: longest, bio: long } }).success).toBe(
      true,
    );
    expect(assignBodySchema.safeParse({ unitId: longest }).success).toBe(true);
  });
});

describe('the services (an experiment may bucket by any attribute)', () => {
  it('/assignments refuses a long unit in an experiment’s own attribute, answering and logging nothing', async () => {
    await expect(
      assignments.assign(server, { context: { userId: 'u-1', account: { id: long } } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringMatching(
        /^body\.context\.account\.id: a unit id takes at most 256 characters \(this one has 257\)/,
      ),
      details: { issues: [{ path: 'body.context.account.id' }] },
    });
    expect(exposed).toEqual([]);
  });

  it('/assignments refuses a long targetingKey even with an explicit unitId', async () => {
    await expect(
      assignments.assign(server, { unitId: 'u-1', context: { targetingKey: long } }),
    ).rejects.toMatchObject({ details: { issues: [{ path: 'body.context.targetingKey' }] } });
  });

  it('/evaluate refuses it too, before any exposure', async () => {
    await expect(evaluation.evaluate(server, { userId: long })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { issues: [{ path: 'body.context.userId' }] },
    });
    await expect(evaluation.evaluate(server, { userId: 'u-1', account: { id: long } })).rejects.toMatchObject(
      { details: { issues: [{ path: 'body.context.account.id' }] } },
    );
    expect(exposed).toEqual([]);
  });

  it('OFREP answers INVALID_CONTEXT in its own shape, naming the attribute', async () => {
    const one = await evaluation.ofrepFlag(
      server,
      'checkout',
      JSON.stringify({ context: { targetingKey: long } }),
    );
    expect(one).toEqual({
      outcome: 'badRequest',
      body: {
        key: 'checkout',
        errorCode: 'INVALID_CONTEXT',
        errorDetails: expect.stringMatching(/^context\.targetingKey: a unit id takes at most 256 characters/),
      },
    });
    const bulk = await evaluation.ofrepBulk(
      server,
      JSON.stringify({ context: { account: { id: long } } }),
      undefined,
    );
    expect(bulk).toMatchObject({
      outcome: 'badRequest',
      body: { errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringMatching(/^context\.account\.id:/) },
    });
    expect(exposed).toEqual([]);
  });

  it('answers and logs exposures for units of 256 characters, which events accept', async () => {
    const { assignments: answered } = await assignments.assign(server, {
      context: { userId: longest, account: { id: longest } },
    });
    expect(answered.map((a) => a.reason)).toEqual(['ASSIGNED', 'ASSIGNED']);
    expect(exposed.map((e) => e.unitId)).toEqual([longest, longest]);
  });
});
