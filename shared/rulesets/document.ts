import { createHash } from 'node:crypto';
import type { Flag } from '../flags/requests';
import type { Ruleset, RulesetFlag, RulesetSegment } from '../rules';
import type { Segment } from '../segments/requests';

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

/** Normalized content: resources ordered by key, so the same configuration always gives the same bytes. */
export function buildRulesetContent(flags: readonly Flag[], segments: readonly Segment[]): RulesetContent {
  const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return {
    hashVersion: 1,
    flags: [...flags].sort(byKey).map(toRulesetFlag),
    segments: [...segments].sort(byKey).map(toRulesetSegment),
  };
}

export function contentHash(content: RulesetContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}
