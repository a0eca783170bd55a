import { ConfigReader } from '../config/repository';
import { createDocumentClient, createDynamoClient } from '../aws/clients';
import type { EnvOf } from '../environment';
import { eventSinkFromEnv } from '../events/opensearch-sink';
import type { Experiment } from '../experiments/requests';
import type { Metric } from '../metrics/schema';
import { CachedAnalysisConfig } from './config';
import { EventProcessor, type ProcessorLogger } from './processor';
import { AnalyticsStore } from './store';

/** The event processor reads the config table and writes the analytics table; OPENSEARCH_* are the sink's. */
export type EventProcessorEnv = EnvOf<'table:config' | 'table:analytics' | 'search'>;

/** What the event processor Lambda needs, created once per execution environment. */
export function eventProcessorDependencies(logger: ProcessorLogger, env: EventProcessorEnv): EventProcessor {
  const client = createDynamoClient();
  const doc = createDocumentClient(client);
  // The processor only lists experiments and metrics: it reads configuration and never writes it.
  const experiments = new ConfigReader<Experiment>(doc, env.TABLE_CONFIG, 'experiment');
  const metrics = new ConfigReader<Metric>(doc, env.TABLE_CONFIG, 'metric');
  const config = new CachedAnalysisConfig({
    listExperiments: () => experiments.list(),
    listMetrics: () => metrics.list(),
  });
  return new EventProcessor({
    store: new AnalyticsStore(client, env.TABLE_ANALYTICS),
    sink: eventSinkFromEnv(env),
    config: (request) => config.get(request),
    logger,
  });
}
