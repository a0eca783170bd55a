import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import type { Ruleset, RulesetExperiment, RulesetFlag, RulesetLayer, RulesetSegment } from '../rules';
import type { Segment } from '../segments/requests';
import { entryId, type EntryId } from './repository';

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
export function toRulesetFlag(flag: Flag): RulesetFlag {
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

export function toRulesetSegment(segment: Segment): RulesetSegment {
  return {
    key: segment.key,
    ...(segment.conditions === undefined ? {} : { conditions: segment.conditions }),
    included: segment.included,
    excluded: segment.excluded,
  };
}

/** What assignment reads of a running experiment: names, metrics, schedule and owner stay behind. */
export function toRulesetExperiment(experiment: Experiment): RulesetExperiment {
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

export function toRulesetLayer(layer: Layer): RulesetLayer {
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

/**
 * The entries of a configuration's ruleset (shared/rulesets/repository.ts), by id: each one's wire form as JSON
 * text, the text the ruleset document joins. Same rules as buildRulesetContent: ACTIVE experiments only, and the
 * layers they use.
 */
export function rulesetEntries(configuration: RulesetConfiguration): Map<EntryId, string> {
  const content = buildRulesetContent(configuration);
  const entries = new Map<EntryId, string>();
  for (const flag of content.flags) entries.set(entryId('flag', flag.key), JSON.stringify(flag));
  for (const segment of content.segments)
    entries.set(entryId('segment', segment.key), JSON.stringify(segment));
  for (const experiment of content.experiments ?? []) {
    entries.set(entryId('experiment', experiment.key), JSON.stringify(experiment));
  }
  for (const layer of content.layers ?? []) entries.set(entryId('layer', layer.key), JSON.stringify(layer));
  return entries;
}

/**
 * The ruleset document of a revision from its entries' texts, each list in key order: byte for byte
 * `JSON.stringify({revision, ...buildRulesetContent(configuration)})`.
 */
export function joinRulesetDocument(
  revision: number,
  texts: {
    readonly flags: readonly string[];
    readonly segments: readonly string[];
    readonly experiments: readonly string[];
    readonly layers: readonly string[];
  },
): string {
  return (
    `{"revision":${revision},"hashVersion":1,"flags":[${texts.flags.join(',')}],` +
    `"segments":[${texts.segments.join(',')}],"experiments":[${texts.experiments.join(',')}],` +
    `"layers":[${texts.layers.join(',')}]}`
  );
}
