import { dueAction } from '../../../shared/experiments/sweep';
import type { Experiment } from '../../../shared/experiments/requests';

const at = (iso: string) => new Date(iso);
const experiment = (status: Experiment['status'], startAt?: string, endAt?: string) =>
  ({
    key: 'e',
    status,
    version: 1,
    ...(startAt ? { startAt } : {}),
    ...(endAt ? { endAt } : {}),
  }) as Experiment;

describe('what the schedule asks of an experiment', () => {
  const now = at('2026-06-01T12:00:00Z');

  it('starts a DRAFT whose start has come and whose end has not', () => {
    expect(dueAction(experiment('DRAFT', '2026-06-01T11:59:59Z'), now)).toBe('start');
    expect(dueAction(experiment('DRAFT', '2026-06-01T12:00:00Z', '2026-06-02T00:00:00Z'), now)).toBe('start');
    expect(dueAction(experiment('DRAFT', '2026-06-01T12:00:01Z'), now)).toBeNull();
  });

  it('ends ACTIVE and PAUSED experiments whose end has come', () => {
    expect(dueAction(experiment('ACTIVE', undefined, '2026-06-01T12:00:00Z'), now)).toBe('complete');
    expect(dueAction(experiment('PAUSED', '2026-05-01T00:00:00Z', '2026-06-01T11:00:00Z'), now)).toBe(
      'complete',
    );
    expect(dueAction(experiment('ACTIVE', undefined, '2026-06-01T12:00:01Z'), now)).toBeNull();
  });

  it('never starts an experiment whose whole window has passed, and leaves finished ones alone', () => {
    expect(dueAction(experiment('DRAFT', '2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'), now)).toBeNull();
    expect(
      dueAction(experiment('COMPLETED', '2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'), now),
    ).toBeNull();
    expect(dueAction(experiment('ARCHIVED', '2026-05-01T00:00:00Z'), now)).toBeNull();
    expect(dueAction(experiment('PAUSED', '2026-05-01T00:00:00Z'), now)).toBeNull();
    expect(dueAction(experiment('ACTIVE', '2026-05-01T00:00:00Z'), now)).toBeNull();
  });
});
