import { ConflictError } from '../../../shared/errors';
import {
  allowedActions,
  checkAction,
  enterStage,
  isNextStageDue,
  isStartDue,
  runningScheduleOf,
  type RolloutState,
  type RolloutStatus,
} from '../../../shared/rollouts/lifecycle';

const schedule = (fields: Partial<RolloutState> = {}): RolloutState => ({
  key: 'ramp',
  status: 'PENDING',
  stages: [
    { percentage: 1000, trigger: { type: 'manual' } },
    { percentage: 5000, trigger: { type: 'time', after: 'PT1H' } },
    { percentage: 10000, trigger: { type: 'time', after: 'PT0S' } },
  ],
  currentStage: -1,
  history: [],
  ...fields,
});

describe('rollout status machine', () => {
  it.each<[RolloutStatus, string[]]>([
    ['PENDING', ['advance']],
    ['ACTIVE', ['advance', 'pause', 'rollBack']],
    ['PAUSED', ['resume', 'rollBack']],
    ['COMPLETED', []],
    ['ROLLED_BACK', []],
  ])('%s allows %j', (status, actions) => expect(allowedActions(status)).toEqual(actions));

  it('refuses an illegal move with 409 naming the allowed ones', () => {
    expect(() => checkAction(schedule({ status: 'PAUSED' }), 'pause')).toThrow(
      new ConflictError('rollout schedule ramp is PAUSED: cannot pause; allowed: resume, rollBack'),
    );
    expect(() => checkAction(schedule({ status: 'COMPLETED' }), 'advance')).toThrow(/no action is allowed/);
    expect(() => checkAction(schedule({ status: 'ACTIVE' }), 'pause')).not.toThrow();
  });
});

describe('enterStage', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('starts at stage 0 (ACTIVE), records when and by whom', () => {
    const after = enterStage(schedule(), 0, now, 'system:rollouts');
    expect(after).toMatchObject({
      status: 'ACTIVE',
      currentStage: 0,
      startedAt: now.toISOString(),
      stageStartedAt: now.toISOString(),
      history: [
        { stage: 0, percentage: 1000, at: now.toISOString(), by: 'system:rollouts', action: 'advance' },
      ],
    });
  });

  it('completes on the last stage and keeps the first start time', () => {
    const started = enterStage(schedule(), 0, new Date('2029-12-31T00:00:00Z'), 'u');
    const after = enterStage(started, 2, now, 'u');
    expect(after.status).toBe('COMPLETED');
    expect(after.startedAt).toBe('2029-12-31T00:00:00.000Z');
    expect(after.history.map((h) => h.stage)).toEqual([0, 2]);
  });

  it('refuses a stage that does not exist', () => {
    expect(() => enterStage(schedule(), 3, now, 'u')).toThrow(/no stage 3/);
  });
});

describe('due-ness', () => {
  const t0 = '2030-01-01T00:00:00.000Z';
  it('a PENDING schedule starts once its startAt has passed, never without one', () => {
    expect(isStartDue(schedule({ startAt: t0 }), new Date('2029-12-31T23:59:59Z'))).toBe(false);
    expect(isStartDue(schedule({ startAt: t0 }), new Date(t0))).toBe(true);
    expect(isStartDue(schedule(), new Date('2100-01-01T00:00:00Z'))).toBe(false);
    expect(isStartDue(schedule({ startAt: t0, status: 'ACTIVE' }), new Date(t0))).toBe(false);
  });

  it('the next stage of an ACTIVE schedule is due when its trigger is met, counted from the current stage', () => {
    const active = schedule({ status: 'ACTIVE', currentStage: 0, stageStartedAt: t0 });
    expect(isNextStageDue(active, new Date('2030-01-01T00:59:59Z'))).toBe(false);
    expect(isNextStageDue(active, new Date('2030-01-01T01:00:00Z'))).toBe(true);
    expect(isNextStageDue({ ...active, status: 'PAUSED' }, new Date('2030-01-01T01:00:00Z'))).toBe(false);
    // Stage 0 → 1 only by hand:
    expect(isNextStageDue({ ...active, currentStage: -1 }, new Date('2100-01-01T00:00:00Z'))).toBe(false);
    // No stage after the last:
    expect(isNextStageDue({ ...active, currentStage: 2 }, new Date('2100-01-01T00:00:00Z'))).toBe(false);
  });

  it('one running (ACTIVE or PAUSED) schedule per flag', () => {
    const s = (key: string, status: RolloutStatus, flagKey = 'f') => ({ key, status, flagKey });
    const all = [s('a', 'COMPLETED'), s('b', 'PAUSED'), s('c', 'ACTIVE', 'g'), s('d', 'PENDING')];
    expect(runningScheduleOf(all, 'f')?.key).toBe('b');
    expect(runningScheduleOf(all, 'f', 'b')).toBeUndefined();
    expect(runningScheduleOf(all, 'g')?.key).toBe('c');
  });
});
