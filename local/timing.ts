import { availableParallelism, loadavg } from 'node:os';

/**
 * Deadlines that follow the machine. Every wait of the local platform and of the tests has a budget measured
 * on an idle machine; on a busy one (CI sharing its cores, a CPU hog beside the tests) the same work takes a
 * few times longer, so a fixed deadline turns slowness into a failure. A deadline is therefore
 * `budget × time scale`, bounded, and it names the phase that gave up.
 *
 * The time scale is `SWITCHYARD_TIME_SCALE` when set (e.g. 3 on a machine known to be three times slower),
 * otherwise measured when asked: the 1-minute load average per core (or, in a test run, the value measured at
 * its start if that was higher), at least 1. It is capped so that a broken engine still fails in bounded time.
 */
export const TIME_SCALE_ENV = 'SWITCHYARD_TIME_SCALE';
export const MAX_TIME_SCALE = 8;

function parseScale(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new Error(
      `${TIME_SCALE_ENV}=${JSON.stringify(raw)}: expected a positive number (1 = an idle machine)`,
    );
  }
  return value;
}

/**
 * The load-based scale measured once at the start of a longer run (the tests' global setup), so that a wait
 * later in the run never assumes a quieter machine than the run started on.
 */
export const MEASURED_TIME_SCALE_ENV = 'SWITCHYARD_TIME_SCALE_MEASURED';

/** The 1-minute load average per core: how many runnable tasks compete for each core right now. */
export function measuredLoadScale(): number {
  return (loadavg()[0] ?? 0) / availableParallelism();
}

/** How many times slower than an idle machine this one runs now, in [1, MAX_TIME_SCALE]. */
export function timeScale(): number {
  const configured = process.env[TIME_SCALE_ENV];
  const atStart = Number(process.env[MEASURED_TIME_SCALE_ENV]);
  const scale =
    configured !== undefined && configured !== ''
      ? parseScale(configured)
      : Math.max(measuredLoadScale(), Number.isFinite(atStart) ? atStart : 0);
  return Math.min(MAX_TIME_SCALE, Math.max(1, scale));
}

/** `budgetMs` (measured on an idle machine) stretched by the time scale. */
export function scaledMs(budgetMs: number): number {
  return Math.round(budgetMs * timeScale());
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Thrown by a probe of {@link waitFor} when waiting longer cannot help (the engine exited). */
export class StopWaiting extends Error {
  override readonly name = 'StopWaiting';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A deadline for one named phase. `budgetMs` is what the phase may take on an idle machine; the deadline is
 * that times the time scale at creation, unless `absoluteMs` fixes it (an explicit `--engine-timeout`).
 */
export class Deadline {
  readonly startedAt = Date.now();
  readonly totalMs: number;
  private readonly scale: number;

  constructor(
    readonly phase: string,
    budgetMs: number,
    absoluteMs?: number,
  ) {
    this.scale = absoluteMs === undefined ? timeScale() : 1;
    this.totalMs = absoluteMs ?? Math.round(budgetMs * this.scale);
  }

  get expired(): boolean {
    return Date.now() - this.startedAt > this.totalMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.totalMs - (Date.now() - this.startedAt));
  }

  /** The error to throw when the phase gives up: which phase, after how long, and how to allow more. */
  error(detail: string): DeadlineError {
    const how =
      this.scale === 1
        ? ''
        : ` (budget ${seconds(this.totalMs / this.scale)} × time scale ${this.scale.toFixed(1)})`;
    return new DeadlineError(
      `${this.phase}: gave up after ${seconds(Date.now() - this.startedAt)}${how}: ${detail}. ` +
        `On a slow machine allow more with ${TIME_SCALE_ENV}=<factor> or SWITCHYARD_ENGINE_TIMEOUT=<seconds>.`,
    );
  }
}

/**
 * Polls `probe` until it answers something other than `undefined`/`false` and returns that answer; throws
 * the deadline's error (naming the phase and the probe's last failure) when it runs out.
 */
export async function waitFor<T>(
  deadline: Deadline,
  probe: () => Promise<T | undefined | false>,
  intervalMs = 100,
): Promise<T> {
  let lastFailure = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastFailure = 'not ready yet';
    } catch (error) {
      if (error instanceof DeadlineError || error instanceof StopWaiting) throw error;
      lastFailure = String(error);
    }
    if (deadline.expired) throw deadline.error(lastFailure);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, deadline.remainingMs + 1)));
  }
}

/** Milliseconds since `since`, as "2.1 s", for the start-up phase lines. */
export function elapsed(since: number): string {
  return seconds(Date.now() - since);
}
