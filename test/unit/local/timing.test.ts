import {
  Deadline,
  DeadlineError,
  MAX_TIME_SCALE,
  scaledMs,
  StopWaiting,
  timeScale,
  waitFor,
} from '../../../local/timing';

describe('deadlines that follow the machine', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['SWITCHYARD_TIME_SCALE', 'SWITCHYARD_TIME_SCALE_MEASURED']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('stretches a budget by SWITCHYARD_TIME_SCALE, never below 1 nor above the cap', () => {
    process.env.SWITCHYARD_TIME_SCALE = '2.5';
    expect(timeScale()).toBe(2.5);
    expect(scaledMs(30_000)).toBe(75_000);
    process.env.SWITCHYARD_TIME_SCALE = '0.5';
    expect(timeScale()).toBe(1);
    process.env.SWITCHYARD_TIME_SCALE = '1000';
    expect(timeScale()).toBe(MAX_TIME_SCALE);
  });

  it('never assumes a quieter machine than the run measured at its start', () => {
    delete process.env.SWITCHYARD_TIME_SCALE;
    process.env.SWITCHYARD_TIME_SCALE_MEASURED = '5';
    expect(timeScale()).toBeGreaterThanOrEqual(5);
    process.env.SWITCHYARD_TIME_SCALE = '2';
    expect(timeScale()).toBe(2);
  });

  it('refuses a time scale that is not a positive number', () => {
    process.env.SWITCHYARD_TIME_SCALE = 'fast';
    expect(() => timeScale()).toThrow(/SWITCHYARD_TIME_SCALE="fast"/);
    process.env.SWITCHYARD_TIME_SCALE = '-2';
    expect(() => timeScale()).toThrow(/positive number/);
  });

  it('measures the load when no scale is set, within [1, cap]', () => {
    delete process.env.SWITCHYARD_TIME_SCALE;
    delete process.env.SWITCHYARD_TIME_SCALE_MEASURED;
    const scale = timeScale();
    expect(scale).toBeGreaterThanOrEqual(1);
    expect(scale).toBeLessThanOrEqual(MAX_TIME_SCALE);
  });

  it('gives up naming the phase, the time taken and the last failure', async () => {
    process.env.SWITCHYARD_TIME_SCALE = '2';
    const deadline = new Deadline('DynamoDB Local start-up', 50);
    expect(deadline.totalMs).toBe(100);
    const started = Date.now();
    const error = await waitFor(
      deadline,
      async () => {
        throw new Error('ECONNREFUSED');
      },
      10,
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toMatch(
      /^DynamoDB Local start-up: gave up after 0\.\d s \(budget 0\.1 s × time scale 2\.0\): Error: ECONNREFUSED\./,
    );
  });

  it('takes an absolute deadline as is, and returns the first real answer', async () => {
    process.env.SWITCHYARD_TIME_SCALE = '4';
    expect(new Deadline('engine', 30_000, 5_000).totalMs).toBe(5_000);
    let calls = 0;
    const answer = await waitFor(
      new Deadline('probe', 1_000),
      async () => (++calls < 3 ? undefined : 'ready'),
      1,
    );
    expect(answer).toBe('ready');
    expect(calls).toBe(3);
  });

  it('stops at once when the probe says waiting cannot help', async () => {
    const started = Date.now();
    await expect(
      waitFor(new Deadline('engine', 10_000), async () => {
        throw new StopWaiting('exited with code 1');
      }),
    ).rejects.toThrow('exited with code 1');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
