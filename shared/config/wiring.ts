import { AuditRepository } from '../audit/repository';
import { createDocumentClient } from '../aws/clients';
import { CONFIG_KINDS, type ConfigKind } from '../db/keys';
import type { EnvOf } from '../environment';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import type { Metric } from '../metrics/schema';
import type { RolloutSchedule } from '../rollouts/requests';
import type { StoredFlagSafety, StoredSafetySettings } from '../safety/repository';
import type { Segment } from '../segments/requests';
import { ConfigRepository } from './repository';

/** What a function that changes configuration needs: the config table, and the audit table beside it. */
export type ConfigEnv = EnvOf<'table:config' | 'table:audit'>;

/**
 * Each config kind's stored type and the name its repository goes by. Indexed by every ConfigKind: a kind added
 * to CONFIG_KINDS does not compile until it is here, and then has its repository.
 */
interface ConfigResources {
  flag: Flag;
  segment: Segment;
  experiment: Experiment;
  layer: Layer;
  metric: Metric;
  rollout: RolloutSchedule;
  safetySettings: StoredSafetySettings;
  safetyConfig: StoredFlagSafety;
}
const REPOSITORY_NAMES = {
  flag: 'flags',
  segment: 'segments',
  experiment: 'experiments',
  layer: 'layers',
  metric: 'metrics',
  rollout: 'rollouts',
  safetySettings: 'safetySettings',
  safetyConfig: 'safetyConfigs',
} as const satisfies Record<ConfigKind, string>;

type ConfigRepositories = {
  readonly [K in ConfigKind as (typeof REPOSITORY_NAMES)[K]]: ConfigRepository<ConfigResources[K]>;
};

/** The repositories of the configuration resources, one per config kind, created once per execution environment. */
export function configRepositories(env: ConfigEnv) {
  const doc = createDocumentClient();
  const audit = new AuditRepository(doc, env.TABLE_AUDIT);
  const repositories = Object.fromEntries(
    CONFIG_KINDS.map((kind) => [
      REPOSITORY_NAMES[kind],
      new ConfigRepository(doc, env.TABLE_CONFIG, audit, kind),
    ]),
  ) as unknown as ConfigRepositories;
  return { doc, audit, ...repositories };
}
