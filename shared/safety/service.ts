import { randomUUID } from 'node:crypto';
import type { ChangeContext } from '../audit/actor';
import type { UserPrincipal } from '../auth/principal';
import type { ConfigRepository } from '../config/repository';
import {
  checkVersion,
  expectedVersion,
  type ServerManaged,
  type Versioned,
  type VersionedChange,
} from '../config/versioning';
import { ConflictError, ForbiddenError } from '../errors';
import type { Flag } from '../flags/requests';
import { logger } from '../observability';
import { paginate, type Page } from '../pagination';
import { runningScheduleOf } from '../rollouts/lifecycle';
import type { RolloutSchedule } from '../rollouts/requests';
import type { RolloutsService } from '../rollouts/service';
import { effectiveSafetyConfig, isMonitored } from './config';
import type { Notifier } from './notifier';
import {
  SETTINGS_KEY,
  type RollbackLog,
  type StoredFlagSafety,
  type StoredSafetySettings,
} from './repository';
import {
  SAFETY_DEFAULTS,
  type EffectiveSafetyConfig,
  type FlagSafetyConfig,
  type FlagSafetyInput,
  type FlagHealth,
  type FlagSafetyState,
  type ListRollbacksQuery,
  type RollbackRecord,
  type RollbackTrigger,
  type SafetyAction,
  type SafetyReport,
  type SafetySettings,
  type SafetySettingsInput,
} from './schema';

/** What a caller asks of a rollback. */
export interface RollbackRequest {
  readonly trigger: RollbackTrigger;
  readonly reason: string;
  /** The figures behind an automatic rollback (the monitor's), kept in the record. */
  readonly metricsSnapshot?: RollbackRecord['metricsSnapshot'];
}

/** Who rolls back: a person (a developer only flags they own, SPEC §1), or the monitor as `system:safety`. */
export interface RollbackChange {
  readonly context: ChangeContext;
  readonly principal?: UserPrincipal;
}

/** A flag the monitor watches, with everything it needs to judge it. */
export interface MonitoredFlag {
  readonly flag: Flag;
  /** The flag's own safety config; null when it has none (the settings apply). */
  readonly config: StoredFlagSafety | null;
  readonly effective: EffectiveSafetyConfig;
  /** The ACTIVE or PAUSED schedule ramping it, if any. */
  readonly rollout: RolloutSchedule | null;
}

export interface SafetyServiceDependencies {
  readonly settings: ConfigRepository<StoredSafetySettings>;
  readonly flagConfigs: ConfigRepository<StoredFlagSafety>;
  readonly rollbacks: RollbackLog;
  readonly flags: ConfigRepository<Flag>;
  readonly rollouts: RolloutsService;
  readonly notifier: Notifier;
  /**
   * Per-variation health figures of a monitored flag, for the report (the monitor's figures).
   * @default - none: the report's `health` is left out
   */
  readonly health?: (monitored: MonitoredFlag) => Promise<FlagHealth>;
}

/** What a rollback of a flag in a given state does; `null` with a reason when there is nothing to do. */
export type RollbackPlan =
  | { readonly applied: RollbackRecord['applied']; readonly nothing?: never }
  | { readonly applied: null; readonly nothing: string };

/** A rollback lost to a concurrent change (a version moved) is read again and planned again this often. */
const ATTEMPTS = 3;

/** Per-flag rollbacks in the report, and rollbacks of any flag. */
const REPORT_PER_FLAG = 5;
const REPORT_RECENT = 20;

/**
 * Safety settings, per-flag configs and rollbacks (SPEC §2.7). The monitor (every minute) decides; this
 * service acts: a rollback applies the flag's action through the same versioned, audited changes a person
 * would make, records it (append-only, audited) and notifies — exactly once per breach: a rollback of a flag
 * whose state it already rolled back changes nothing, records nothing and notifies no one.
 */
export class SafetyService {
  constructor(private readonly deps: SafetyServiceDependencies) {}

  /** The stage's settings: the stored ones, or the defaults at version 0 before the first PUT. */
  async settings(): Promise<SafetySettings> {
    const stored = await this.deps.settings.get(SETTINGS_KEY);
    if (stored === null) return { ...defaultSettings(), version: 0 };
    const { key: _key, ...settings } = stored;
    return { ...defaultSettings(), ...settings };
  }

  /** PUT: the whole settings (what is left out takes its default), at the version read (0 before the first). */
  async putSettings(
    fields: SafetySettingsInput,
    change: VersionedChange,
    now: Date = new Date(),
  ): Promise<SafetySettings> {
    await upsert(this.deps.settings, SETTINGS_KEY, { ...fields, key: SETTINGS_KEY }, change, now);
    return this.settings();
  }

  /** A flag's overrides (none at version 0) and its effective configuration; 404 for an unknown flag. */
  async flagConfig(flagKey: string): Promise<FlagSafetyConfig> {
    await this.deps.flags.require(flagKey);
    const [settings, stored] = await Promise.all([this.settings(), this.deps.flagConfigs.get(flagKey)]);
    return configView(flagKey, settings, stored);
  }

  /** PUT a flag's overrides (the whole set): admins for any flag, developers for the flags they own. */
  async putFlagConfig(
    flagKey: string,
    fields: FlagSafetyInput,
    change: VersionedChange,
    now: Date = new Date(),
  ): Promise<FlagSafetyConfig> {
    checkOwner(await this.deps.flags.require(flagKey), change.principal);
    const stored = await upsert(this.deps.flagConfigs, flagKey, { ...fields, key: flagKey }, change, now);
    return configView(flagKey, await this.settings(), stored);
  }

  /**
   * The flags the monitor watches: safety on for the flag (the settings' switch and its own), and a rollout
   * schedule ACTIVE or PAUSED on it, or its own config saying `enabled: true`.
   */
  async monitoredFlags(): Promise<MonitoredFlag[]> {
    const [settings, configs, flags, schedules] = await Promise.all([
      this.settings(),
      this.deps.flagConfigs.list(),
      this.deps.flags.list(),
      this.deps.rollouts.all(),
    ]);
    const configOf = new Map(configs.map((c) => [c.key, c]));
    return flags.flatMap((flag) => {
      const config = configOf.get(flag.key) ?? null;
      const rollout = runningScheduleOf(schedules, flag.key) ?? null;
      const effective = effectiveSafetyConfig(settings, config);
      return isMonitored(effective, config, rollout !== null) ? [{ flag, config, effective, rollout }] : [];
    });
  }

  /**
   * Roll `flagKey` back by its action (`previous_stage` by default): the running rollout back one stage and
   * ROLLED_BACK, or — with no rollout running — the flag off; `off`: the flag off and its rollout (if one runs)
   * to 0 % and ROLLED_BACK. Then the record (audited) and the notification.
   *
   * Returns null, and changes nothing, when there is nothing to roll back: the flag is off (and no rollout
   * runs), or its rollout was rolled back and the flag has not changed since — so a monitor that sees the same
   * breach on every run rolls back once. An automatic rollback also does nothing while the flag's effective
   * config is disabled or `autoRollback` is false. A developer may roll back only a flag they own (403).
   */
  async rollBack(
    flagKey: string,
    request: RollbackRequest,
    change: RollbackChange,
    now: Date = new Date(),
  ): Promise<RollbackRecord | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rollBackOnce(flagKey, request, change, now);
      } catch (error) {
        // A version moved under us (the rollout job, a person, a concurrent rollback): look again.
        if (error instanceof ConflictError && attempt < ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** `POST /safety/rollback/{key}`: a person's rollback; 409 naming why when there is nothing to roll back. */
  async rollBackByHand(
    flagKey: string,
    reason: string,
    change: RollbackChange,
    now: Date = new Date(),
  ): Promise<RollbackRecord> {
    const record = await this.rollBack(flagKey, { trigger: 'manual', reason }, change, now);
    if (record !== null) return record;
    const flag = await this.deps.flags.require(flagKey);
    const schedules = await this.deps.rollouts.all();
    const { action } = effectiveSafetyConfig(await this.settings(), await this.deps.flagConfigs.get(flagKey));
    const plan = planRollback(action, flag, runningScheduleOf(schedules, flagKey) ?? null, schedules);
    throw new ConflictError(
      `flag ${flagKey} has nothing to roll back: ${plan.nothing ?? 'it changed meanwhile'}`,
      {
        flagKey,
      },
    );
  }

  /** Records, newest first, filtered by flag and time, one page. */
  async listRollbacks(query: ListRollbacksQuery): Promise<Page<RollbackRecord>> {
    const records = await this.deps.rollbacks.find({
      flagKey: query.flagKey,
      from: query.from,
      to: query.to,
    });
    return paginate(records, query);
  }

  /** The monitored flags with their effective config, rollout and last rollbacks; the last rollbacks overall. */
  async report(now: Date = new Date()): Promise<SafetyReport> {
    const [settings, monitored, recent] = await Promise.all([
      this.settings(),
      this.monitoredFlags(),
      this.deps.rollbacks.find({ limit: 200 }),
    ]);
    const flags = await Promise.all(
      monitored.map(async (m) => {
        const health = await this.deps.health?.(m);
        const rollout = m.rollout;
        return {
          flagKey: m.flag.key,
          effective: m.effective,
          rollout:
            rollout === null
              ? null
              : {
                  key: rollout.key,
                  status: rollout.status,
                  currentStage: rollout.currentStage,
                  percentage: shareOf(rollout),
                  variation: rollout.variation,
                  ...(rollout.replacedVariation === undefined
                    ? {}
                    : { replacedVariation: rollout.replacedVariation }),
                },
          ...(health === undefined ? {} : { health }),
          recentRollbacks: recent.filter((r) => r.flagKey === m.flag.key).slice(0, REPORT_PER_FLAG),
        };
      }),
    );
    return {
      generatedAt: now.toISOString(),
      enabled: settings.enabled,
      flags,
      recentRollbacks: recent.slice(0, REPORT_RECENT),
    };
  }

  private async rollBackOnce(
    flagKey: string,
    request: RollbackRequest,
    change: RollbackChange,
    now: Date,
  ): Promise<RollbackRecord | null> {
    const flag = await this.deps.flags.require(flagKey);
    checkOwner(flag, change.principal);
    const [settings, config, schedules] = await Promise.all([
      this.settings(),
      this.deps.flagConfigs.get(flagKey),
      this.deps.rollouts.all(),
    ]);
    const effective = effectiveSafetyConfig(settings, config);
    if (request.trigger === 'auto' && !(effective.enabled && effective.autoRollback)) return null;
    const running = runningScheduleOf(schedules, flagKey) ?? null;
    const plan = planRollback(effective.action, flag, running, schedules);
    if (plan.applied === null) return null;

    const previousState = stateOf(flag, running);
    let rollout = running;
    if (plan.applied === 'flag_off' || plan.applied === 'flag_off_rollout_zero') {
      // First, so that the variation stops being served at once; the rollout re-reads the flag.
      await this.deps.flags.replace(flag, { ...flag, enabled: false }, change.context, 'rollBack', now);
    }
    if (running !== null && plan.applied !== 'flag_off') {
      rollout = await this.deps.rollouts.rollBack(
        running.key,
        { to: plan.applied === 'rollout_previous_stage' ? 'previous' : 'zero' },
        { context: change.context, principal: change.principal, version: running.version },
        now,
      );
    }
    const record: RollbackRecord = {
      id: randomUUID(),
      flagKey,
      trigger: request.trigger,
      action: effective.action,
      applied: plan.applied,
      reason: request.reason,
      metricsSnapshot: request.metricsSnapshot ?? null,
      previousState,
      resultingState: stateOf(await this.deps.flags.require(flagKey), rollout),
      at: now.toISOString(),
      by: change.context.actor,
      byName: change.context.actorName,
    };
    await this.deps.rollbacks.append(record, change.context);
    // The SafetyRollbacks metric and its alarm count this line (lib/constructs/safety-notifications.ts).
    logger.info('safety rollback', {
      flagKey,
      trigger: record.trigger,
      applied: record.applied,
      id: record.id,
    });
    try {
      await this.deps.notifier.notify(record, effective.notifications);
    } catch (error) {
      // The rollback is done and recorded: a lost notification must not undo or repeat it. Alarmed on.
      logger.error('safety notification failed', { flagKey, id: record.id, error });
    }
    return record;
  }
}

/**
 * What rolling back a flag in this state does (pure): `previous_stage` takes a running rollout back, else turns
 * the flag off; `off` turns the flag off and takes a running rollout to 0 %. Nothing to do when the flag is off
 * with no rollout running, or (previous_stage) when a rollout of the flag was rolled back and the flag has not
 * changed since — that rollback was the answer to this breach.
 */
export function planRollback(
  action: SafetyAction,
  flag: Pick<Flag, 'key' | 'enabled' | 'updatedAt'>,
  running: RolloutSchedule | null,
  schedules: readonly RolloutSchedule[],
): RollbackPlan {
  if (action === 'previous_stage') {
    if (running !== null) return { applied: 'rollout_previous_stage' };
    if (!flag.enabled) return { applied: null, nothing: 'it is off and no rollout is running' };
    const rolledBack = lastRollBackOf(flag, schedules);
    if (rolledBack !== undefined) {
      return {
        applied: null,
        nothing:
          `rollout ${rolledBack.key} was rolled back and the flag has not changed since; ` +
          'turn the flag off to go further',
      };
    }
    return { applied: 'flag_off' };
  }
  if (flag.enabled) return { applied: running === null ? 'flag_off' : 'flag_off_rollout_zero' };
  return running === null
    ? { applied: null, nothing: 'it is off and no rollout is running' }
    : { applied: 'rollout_zero' };
}

/** A ROLLED_BACK schedule of the flag whose rollback is not older than the flag's last change. */
function lastRollBackOf(
  flag: Pick<Flag, 'key' | 'updatedAt'>,
  schedules: readonly RolloutSchedule[],
): RolloutSchedule | undefined {
  const changed = Date.parse(flag.updatedAt);
  return schedules.find((s) => {
    if (s.flagKey !== flag.key || s.status !== 'ROLLED_BACK') return false;
    const entry = [...s.history].reverse().find((h) => h.action === 'rollBack');
    return entry !== undefined && Date.parse(entry.at) >= changed;
  });
}

/** The share the rolled-out variation is served at the schedule's current stage, in basis points. */
function shareOf(schedule: RolloutSchedule): number {
  const last = schedule.history[schedule.history.length - 1];
  if (schedule.status === 'ROLLED_BACK' && last?.action === 'rollBack') return last.percentage;
  return schedule.stages[schedule.currentStage]?.percentage ?? 0;
}

function stateOf(flag: Flag, rollout: RolloutSchedule | null): FlagSafetyState {
  return {
    flag: { enabled: flag.enabled, fallthrough: flag.fallthrough, version: flag.version },
    rollout:
      rollout === null
        ? null
        : {
            key: rollout.key,
            status: rollout.status,
            currentStage: rollout.currentStage,
            percentage: shareOf(rollout),
            version: rollout.version,
          },
  };
}

function defaultSettings(): SafetySettingsInput {
  return { ...SAFETY_DEFAULTS, notifications: { emails: [], eventBridge: true } };
}

function configView(
  flagKey: string,
  settings: SafetySettingsInput,
  stored: StoredFlagSafety | null,
): FlagSafetyConfig {
  const effective = effectiveSafetyConfig(settings, stored);
  if (stored === null) return { flagKey, version: 0, effective };
  const { key: _key, ...config } = stored;
  return { flagKey, ...config, effective };
}

/** A developer changes the safety of only the flags they own (SPEC §1); admins any; the monitor too. */
function checkOwner(flag: Flag, principal: UserPrincipal | undefined): void {
  if (principal?.role === 'developer' && flag.owner !== principal.sub) {
    throw new ForbiddenError(`You do not own flag ${flag.key}: ask its owner or an admin`);
  }
}

/**
 * Write a singleton-like config item at the version the change names: 0 creates it (nothing stored yet),
 * anything else replaces the stored one; a stale version is a 409 and changes nothing. Audited as
 * `<kind>.create` / `<kind>.update`.
 */
async function upsert<T extends Versioned>(
  repository: ConfigRepository<T>,
  key: string,
  document: Omit<T, ServerManaged>,
  change: VersionedChange,
  now: Date,
): Promise<T> {
  const stored = await repository.get(key);
  if (stored === null) {
    const version = expectedVersion(change.version, change.ifMatch);
    if (version !== 0) {
      throw new ConflictError(`${repository.kind} ${key} is at version 0, not ${version}: read it again`);
    }
    return repository.create(document, change.context, now);
  }
  return repository.replace(
    checkVersion(repository.kind, stored, change),
    document,
    change.context,
    'update',
    now,
  );
}
