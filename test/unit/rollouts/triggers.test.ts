import { isTriggerDue, parseDuration } from '../../../shared/rollouts/triggers';

describe('parseDuration (ISO-8601, weeks to seconds)', () => {
  it.each([
    ['PT0S', 0],
    ['PT5S', 5_000],
    ['PT1.5S', 1_500],
    ['PT30M', 1_800_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P1DT1H1M1S', 90_061_000],
    ['P2W', 1_209_600_000],
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '1H',
    'PT-1S',
    '-PT1S',
    'P1M',
    'P1Y',
    'P1W1D',
    'PT1H30',
    'pt1h',
    'PT0.0001S',
    'P1D ',
  ])('refuses %j', (text) => expect(parseDuration(text)).toBeNull());
});

describe('isTriggerDue', () => {
  const since = '2030-01-01T00:00:00.000Z';
  const at = (iso: string) => new Date(iso);

  it('time: once the duration since the previous stage began has passed', () => {
    const trigger = { type: 'time', after: 'PT10M' } as const;
    expect(isTriggerDue(trigger, since, at('2030-01-01T00:09:59.999Z'))).toBe(false);
    expect(isTriggerDue(trigger, since, at('2030-01-01T00:10:00.000Z'))).toBe(true);
    expect(isTriggerDue({ type: 'time', after: 'PT0S' }, since, at(since))).toBe(true);
  });

  it('at: once the timestamp has passed, whenever the stage before began', () => {
    const trigger = { type: 'at', timestamp: '2030-02-01T00:00:00Z' } as const;
    expect(isTriggerDue(trigger, since, at('2030-01-31T23:59:59Z'))).toBe(false);
    expect(isTriggerDue(trigger, since, at('2030-02-01T00:00:00Z'))).toBe(true);
  });

  it('manual: never (only advance enters it)', () => {
    expect(isTriggerDue({ type: 'manual' }, since, at('2100-01-01T00:00:00Z'))).toBe(false);
  });
});
