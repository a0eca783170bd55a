import { compileRuleset, type CompiledRuleset, type Ruleset } from '../../../shared/rules';
import { changedFlags } from './changes';
import { describe, type Transport } from './http';
import type { Runtime } from './runtime';

/** What the ruleset poller tells the client. */
export interface RulesetListener {
  /** A new revision is in use; `flagsChanged` is empty for the first. */
  loaded(revision: number, flagsChanged: readonly string[], first: boolean): void;
  /** This poll failed: `fatal` when the ruleset can never come with this key (401/403). */
  failed(message: string, fatal: boolean): void;
  /** A poll succeeded (200 or 304). */
  succeeded(): void;
}

export const RULESET_PATH = '/api/v1/sdk/ruleset';

/**
 * Local mode's ruleset: downloaded from `GET /api/v1/sdk/ruleset`, compiled by the engine the service runs
 * (shared/rules, bundled into the SDK), then polled with `If-None-Match` — an unchanged ruleset costs a 304
 * and no parsing. A body that does not parse or compile keeps the previous revision in use; so does any
 * failure to reach the API.
 */
export class RulesetPoller {
  private current: { readonly ruleset: Ruleset; readonly compiled: CompiledRuleset } | null = null;
  private etag: string | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private polling: Promise<void> | null = null;
  /** Failed polls in a row while there is no ruleset: those retry sooner than the interval. */
  private failuresWithoutRuleset = 0;

  constructor(
    private readonly transport: Transport,
    private readonly pollIntervalMs: number,
    private readonly runtime: Runtime,
    private readonly listener: RulesetListener,
  ) {}

  get compiled(): CompiledRuleset | null {
    return this.current?.compiled ?? null;
  }

  /** A ruleset the application already holds (a file, a cache): used at once, replaced by the API's. */
  bootstrap(ruleset: Ruleset): string | null {
    return this.use(ruleset, null);
  }

  /** Polls now, then every `pollIntervalMs` (0: once). */
  start(): void {
    void this.poll().finally(() => this.arm());
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  /** A poll that starts after any in flight (which may have been sent before the caller's reason to ask). */
  async refresh(): Promise<void> {
    await this.polling;
    await this.poll();
  }

  /** One poll; concurrent callers share it. */
  poll(): Promise<void> {
    this.polling ??= this.fetchRuleset().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /**
   * The next poll: after the interval; while there is no ruleset yet, sooner (1 s, 2 s, 4 s… up to the
   * interval), so that a service started while the API was away becomes ready soon after it is back.
   */
  private arm(): void {
    if (this.stopped) return;
    const interval = this.pollIntervalMs > 0 ? this.pollIntervalMs : Infinity;
    const delay =
      this.current === null
        ? Math.min(interval, 1000 * 2 ** Math.min(this.failuresWithoutRuleset, 6))
        : interval;
    if (delay === Infinity) return;
    this.cancelTimer = this.runtime.schedule(delay, () => {
      void this.poll().finally(() => this.arm());
    });
  }

  private async fetchRuleset(): Promise<void> {
    await this.fetchOnce();
    this.failuresWithoutRuleset = this.current === null ? this.failuresWithoutRuleset + 1 : 0;
  }

  private async fetchOnce(): Promise<void> {
    const asked = await this.transport.send('GET', RULESET_PATH, {
      headers: this.etag === null ? {} : { 'if-none-match': this.etag },
      redirect: 'manual',
    });
    // A ruleset too large for a response is at a short-lived URL (302): read it there; the 302's ETag is its tag.
    const outcome =
      asked.ok && asked.status === 302 && asked.location !== null
        ? { ...(await this.transport.download(asked.location)), etag: asked.etag }
        : asked;
    if (this.stopped) return;
    if (!outcome.ok) return this.listener.failed(outcome.message, false);
    if (outcome.status === 304 && this.current !== null) return this.listener.succeeded();
    if (outcome.status !== 200) {
      const fatal = outcome.status === 401 || outcome.status === 403;
      const hint = fatal ? ' (local mode needs a server key)' : '';
      return this.listener.failed(`the ruleset answered ${outcome.status}${hint}`, fatal);
    }
    let ruleset: Ruleset;
    try {
      ruleset = JSON.parse(outcome.text) as Ruleset;
    } catch (error) {
      return this.listener.failed(`unreadable ruleset: ${describe(error)}`, false);
    }
    const problem = this.use(ruleset, outcome.etag);
    if (problem !== null) return this.listener.failed(problem, false);
    this.listener.succeeded();
  }

  /** Compiles and swaps in a ruleset; the problem when it cannot be used (the previous one stays). */
  private use(ruleset: Ruleset, etag: string | null): string | null {
    let compiled: CompiledRuleset;
    try {
      compiled = compileRuleset(ruleset);
    } catch (error) {
      return `unusable ruleset: ${describe(error)}`;
    }
    const previous = this.current;
    this.current = { ruleset, compiled };
    this.etag = etag;
    const flagsChanged = previous === null ? [] : changedFlags(previous.ruleset, ruleset);
    if (previous === null || flagsChanged.length > 0 || previous.compiled.revision !== compiled.revision) {
      this.listener.loaded(compiled.revision, flagsChanged, previous === null);
    }
    return null;
  }
}
