import { AuditRepository } from '../audit/repository';
import { createDocumentClient } from '../aws/clients';
import type { EnvOf } from '../environment';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import type { Metric } from '../metrics/schema';
import type { RolloutSchedule } from '../rollouts/requests';
import type { Segment } from '../segments/requests';
import { ConfigRepository } from './repository';

/** What a function that changes configuration needs: the config table, and the audit table beside it. */
export type ConfigEnv = EnvOf<'table:config' | 'table:audit'>;

/** The repositories of the configuration resources, created once per execution environment. */
export function configRepositories(env: ConfigEnv) {
  const doc = createDocumentClient();
  const audit = new AuditRepository(doc, env.TABLE_AUDIT);
  return {
    doc,
    audit,
    flags: new ConfigRepository<Flag>(doc, env.TABLE_CONFIG, audit, 'flag'),
    segments: new ConfigRepository<Segment>(doc, env.TABLE_CONFIG, audit, 'segment'),
    experiments: new ConfigRepository<Experiment>(doc, env.TABLE_CONFIG, audit, 'experiment'),
    layers: new ConfigRepository<Layer>(doc, env.TABLE_CONFIG, audit, 'layer'),
    metrics: new ConfigRepository<Metric>(doc, env.TABLE_CONFIG, audit, 'metric'),
    rollouts: new ConfigRepository<RolloutSchedule>(doc, env.TABLE_CONFIG, audit, 'rollout'),
  };
}
