import { servingFlag } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import type { ChangeContext } from '../audit/actor';
import type { UserPrincipal } from '../auth/principal';
import type { ConfigReader, ConfigRepository } from '../config/repository';
import {
  checkVersion,
  clientFields,
  matchesQuery,
  mergeChange,
  type PersonChange,
  type Versioned,
  type VersionedChange,
} from '../config/versioning';
import { ConfigurationError, ConflictError, ForbiddenError, ValidationError } from '../errors';
import { paginate, type Page } from '../pagination';
import { findPrerequisiteCycle, segmentKeysOf } from '../rules';
import type { RolloutSchedule } from '../rollouts/requests';
import { sameServe } from '../rollouts/split';
import type { Segment } from '../segments/requests';
import type { UserDirectory } from '../users/directory';
import { flagInputSchema, type FlagInput } from './schema';
import type { Flag, ListFlagsQuery } from './requests';

export const STALE_AFTER_DAYS = 30;

/** Who may own a flag: the directory's users (shared/users), looked up by id (`sub`). */
export type UserLookup = Pick<UserDirectory, 'get'>;

const NO_DIRECTORY: UserLookup = {
  get: () =>
    Promise.reject(new ConfigurationError('FlagsService has no user directory: owners cannot be checked')),
};

/** Serves one variation to everyone: off, or on with no rules and a single-variation fallthrough. */
function servesOneVariation(flag: Flag): boolean {
  if (!flag.enabled) return true;
  if (flag.rules.length > 0) return false;
  return (
    'variation' in flag.fallthrough || flag.fallthrough.allocations.filter((a) => a.weight > 0).length <= 1
  );
}

export function isStale(flag: Flag, now: Date = new Date()): boolean {
  if (!flag.temporary) return false;
  const cutoff = now.getTime() - STALE_AFTER_DAYS * 86_400_000;
  if (Date.parse(flag.updatedAt) > cutoff) return false;
  const evaluated = flag.lastEvaluatedAt === undefined ? 0 : Date.parse(flag.lastEvaluatedAt);
  return servesOneVariation(flag) || evaluated < cutoff;
}

/** Feature flags (SPEC §2.1): every change versioned, checked against the other flags and segments, audited. */
/** A resource kept under a flag's key that goes when the flag goes (a ConfigRepository of it). */
export interface FlagCompanion {
  get(key: string): Promise<Versioned | null>;
  remove(stored: Versioned, change: VersionedChange): Promise<void>;
}

export class FlagsService {
  constructor(
    private readonly flags: ConfigRepository<Flag>,
    private readonly segments: ConfigReader<Segment>,
    private readonly experiments: ConfigReader<Experiment>,
    private readonly rollouts: ConfigReader<RolloutSchedule>,
    /** lastEvaluatedAt per flag key, from the evaluation functions' usage counters. */
    private readonly lastEvaluated: (keys: readonly string[]) => Promise<Map<string, string>> = async () =>
      new Map(),
    /** Where an owner transfer finds the new owner. */
    private readonly users: UserLookup = NO_DIRECTORY,
    /**
     * What belongs to a flag and goes with it (its safety overrides: a flag created later under the same key must
     * not inherit them). Removed after the flag, each audited as its own delete.
     */
    private readonly companions: readonly FlagCompanion[] = [],
  ) {}

  async list(query: ListFlagsQuery): Promise<Page<Flag>> {
    const now = new Date();
    const stored = await this.flags.list();
    const evaluated = await this.lastEvaluated(stored.map((f) => f.key));
    const withUsage = stored.map((f) => {
      const at = evaluated.get(f.key);
      return at === undefined ? f : { ...f, lastEvaluatedAt: at };
    });
    const flags = withUsage.filter(
      (f) =>
        (query.tag === undefined || f.tags.includes(query.tag)) &&
        (query.enabled === undefined || f.enabled === query.enabled) &&
        (query.stale === undefined || isStale(f, now) === query.stale) &&
        matchesQuery(query.q, f.key, f.name, f.description),
    );
    return paginate(flags, query);
  }

  get(key: string): Promise<Flag> {
    return this.flags.require(key);
  }

  async create(input: FlagInput, context: ChangeContext, principal: UserPrincipal): Promise<Flag> {
    await this.checkReferences(input);
    return this.flags.create({ ...input, owner: principal.sub }, context);
  }

  /** PUT replaces every field, PATCH only those given; both re-validate the whole flag. */
  async update(
    key: string,
    fields: Partial<Omit<FlagInput, 'key'>>,
    change: PersonChange,
    action = 'update',
  ): Promise<Flag> {
    const before = checkVersion('flag', await this.owned(key, change.principal), change);
    const { owner, lastEvaluatedAt } = before;
    const input = mergeChange(flagInputSchema, clientFields(before, 'owner', 'lastEvaluatedAt'), fields);
    await this.checkReferences(input);
    const kept = new Set(input.variations.map((v) => v.key));
    for (const experiment of await this.experimentsServing(key)) {
      const lost = experiment.variants.map((v) => v.key).filter((v) => !kept.has(v));
      if (lost.length > 0) {
        throw new ConflictError(
          `variations ${lost.join(', ')} of flag ${key} are variants of experiment ${experiment.key} ` +
            `(${experiment.status}): complete or delete the experiment first`,
          { field: 'variations', experiment: experiment.key },
        );
      }
    }
    if (!sameServe(before.fallthrough, input.fallthrough)) await this.checkNotRamped(key);
    const after = { ...input, owner, ...(lastEvaluatedAt === undefined ? {} : { lastEvaluatedAt }) };
    return this.flags.replace(before, after, change.context, action);
  }

  async replace(key: string, fields: Omit<FlagInput, 'key'>, change: PersonChange): Promise<Flag> {
    return this.update(key, fields, change);
  }

  async toggle(key: string, enabled: boolean | undefined, change: PersonChange): Promise<Flag> {
    const current = await this.get(key);
    return this.update(key, { enabled: enabled ?? !current.enabled }, change, 'toggle');
  }

  /**
   * ADMIN only (the route's permission): the new owner may then change the flag. The owner is a user of the
   * directory, enabled — a flag owned by nobody, or by someone who cannot sign in, would be left to admins alone.
   */
  async transferOwner(key: string, owner: string, change: PersonChange): Promise<Flag> {
    const before = await this.flags.forChange(key, change);
    const user = await this.users.get(owner);
    if (user === null || !user.enabled) {
      const message = user === null ? `no user ${owner}` : `user ${owner} is disabled`;
      throw new ValidationError(`body.owner: ${message}`, [{ path: 'body.owner', message }]);
    }
    return this.flags.replace(before, { ...before, owner }, change.context, 'transferOwner');
  }

  async remove(key: string, change: PersonChange): Promise<void> {
    const before = await this.owned(key, change.principal);
    const dependents = (await this.flags.list()).filter((f) =>
      f.prerequisites.some((p) => p.flagKey === key),
    );
    if (dependents.length > 0) {
      throw new ConflictError(
        `flag ${key} is a prerequisite of ${dependents.map((f) => f.key).join(', ')}: remove it there first`,
      );
    }
    const serving = await this.experimentsServing(key);
    if (serving.length > 0) {
      throw new ConflictError(
        `flag ${key} is served by experiment ${serving.map((e) => e.key).join(', ')}: complete or delete it first`,
      );
    }
    // A schedule of a deleted flag could neither advance nor roll back; any status holds (deleting a schedule
    // that is not ACTIVE is the way out, and keeps its history in the audit log).
    const ramps = (await this.rollouts.list()).filter((s) => s.flagKey === key);
    if (ramps.length > 0) {
      throw new ConflictError(
        `flag ${key} has rollout schedules ${ramps.map((s) => `${s.key} (${s.status})`).join(', ')}: ` +
          'delete them first',
        { rollouts: ramps.map((s) => s.key) },
      );
    }
    await this.flags.remove(before, change);
    for (const companion of this.companions) {
      const stored = await companion.get(key);
      if (stored !== null) await companion.remove(stored, { context: change.context });
    }
  }

  /** SPEC §2.6: while a rollout schedule is ACTIVE, it alone moves the flag's fallthrough (409 naming it). */
  private async checkNotRamped(key: string): Promise<void> {
    const active = (await this.rollouts.list()).find((s) => s.flagKey === key && s.status === 'ACTIVE');
    if (active !== undefined) {
      throw new ConflictError(
        `flag ${key}'s fallthrough is being ramped by rollout schedule ${active.key} (ACTIVE): ` +
          'pause or roll back the schedule first',
        { field: 'fallthrough', rollout: active.key },
      );
    }
  }

  /** Experiments not yet finished that serve this flag's variations (`flagKey`). */
  private async experimentsServing(key: string): Promise<Experiment[]> {
    return servingFlag(await this.experiments.list(), key);
  }

  /** A developer changes only flags they own; admins any (SPEC §1). */
  private async owned(key: string, principal: UserPrincipal): Promise<Flag> {
    const flag = await this.get(key);
    if (principal.role === 'developer' && flag.owner !== principal.sub) {
      throw new ForbiddenError(`You do not own flag ${key}: ask its owner or an admin`);
    }
    return flag;
  }

  /** Segments named by rules exist; prerequisites name existing flags and variations, without cycles. */
  private async checkReferences(flag: FlagInput): Promise<void> {
    const issues: { path: string; message: string }[] = [];
    const segmentKeys = new Set(await this.segments.keys());
    flag.rules.forEach((rule, i) => {
      const missing = [...segmentKeysOf(rule.conditions)].filter((k) => !segmentKeys.has(k));
      if (missing.length > 0) {
        issues.push({ path: `body.rules.${i}.conditions`, message: `unknown segment ${missing.join(', ')}` });
      }
    });
    if (flag.prerequisites.length > 0) {
      const others = new Map((await this.flags.list()).map((f) => [f.key, f]));
      flag.prerequisites.forEach((p, i) => {
        const target = others.get(p.flagKey);
        if (target === undefined)
          issues.push({ path: `body.prerequisites.${i}.flagKey`, message: `no flag ${p.flagKey}` });
        else if (!target.variations.some((v) => v.key === p.variation)) {
          issues.push({
            path: `body.prerequisites.${i}.variation`,
            message: `${p.flagKey} has no variation ${p.variation}`,
          });
        }
      });
      others.set(flag.key, flag as Flag);
      const cycle = findPrerequisiteCycle([...others.values()]);
      if (cycle !== null)
        issues.push({ path: 'body.prerequisites', message: `creates a cycle: ${cycle.join(' → ')}` });
    }
    if (issues.length > 0) throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
}
