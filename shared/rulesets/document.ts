import { createHash } from 'node:crypto';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import type { Ruleset, RulesetExperiment, RulesetFlag, RulesetLayer, RulesetSegment } from '../rules';
import type { Segment } from '../segments/requests';

/** The configuration a ruleset is built from, as read from the config table. */
export interface RulesetConfiguration {
  readonly flags: readonly Flag[];
  readonly segments: readonly Segment[];
  readonly experiments: readonly Experiment[];
  readonly layers: readonly Layer[];
}

/** The ruleset without its revision: what is compared to decide whether anything changed. */
export type RulesetContent = Omit<Ruleset, 'revision'>;

/** Only what evaluation reads: owner, timestamps and versions never reach SDKs (or force a republish). */
function toRulesetFlag(flag: Flag): RulesetFlag {
  return {
    key: flag.key,
    kind: flag.kind,
    variations: flag.variations,
    enabled: flag.enabled,
    offVariation: flag.offVariation,
    fallthrough: flag.fallthrough,
    rules: flag.rules,
    prerequisites: flag.prerequisites,
    clientSide: flag.clientSide,
    ...(flag.salt === undefined ? {} : { salt: flag.salt }),
  };
}

function toRulesetSegment(segment: Segment): RulesetSegment {
  return {
    key: segment.key,
    ...(segment.conditions === undefined ? {} : { conditions: segment.conditions }),
    included: segment.included,
    excluded: segment.excluded,
  };
}

/** What assignment reads of a running experiment: names, metrics, schedule and owner stay behind. */
function toRulesetExperiment(experiment: Experiment): RulesetExperiment {
  const { conditions, layer, layerRange, salt, flagKey } = experiment;
  return {
    key: experiment.key,
    variants: experiment.variants.map((v) => ({
      key: v.key,
      weight: v.weight,
      isControl: v.isControl,
      ...(v.payload === undefined ? {} : { payload: v.payload }),
    })),
    trafficAllocation: experiment.trafficAllocation,
    unitAttribute: experiment.unitAttribute,
    ...(conditions === undefined ? {} : { conditions }),
    ...(layer === undefined ? {} : { layer }),
    ...(layerRange === undefined ? {} : { layerRange }),
    ...(salt === undefined ? {} : { salt }),
    ...(flagKey === undefined ? {} : { flagKey }),
  };
}

function toRulesetLayer(layer: Layer): RulesetLayer {
  return { key: layer.key, ...(layer.salt === undefined ? {} : { salt: layer.salt }) };
}

/**
 * Normalized content: resources ordered by key, so the same configuration always gives the same bytes. Only
 * ACTIVE experiments assign (a paused one keeps its units out until resumed), and only the layers they use
 * travel with them.
 */
export function buildRulesetContent(configuration: RulesetConfiguration): RulesetContent {
  const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const running = configuration.experiments.filter((e) => e.status === 'ACTIVE').sort(byKey);
  const usedLayers = new Set(running.flatMap((e) => (e.layer === undefined ? [] : [e.layer])));
  return {
    hashVersion: 1,
    flags: [...configuration.flags].sort(byKey).map(toRulesetFlag),
    segments: [...configuration.segments].sort(byKey).map(toRulesetSegment),
    experiments: running.map(toRulesetExperiment),
    layers: configuration.layers
      .filter((l) => usedLayers.has(l.key))
      .sort(byKey)
      .map(toRulesetLayer),
  };
}

export function contentHash(content: RulesetContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}
