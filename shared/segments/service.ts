import type { ConfigReader, ConfigRepository } from '../config/repository';
import { jsonBytes, LIST_PAGE_BYTES } from '../config/limits';
import { VersionedResourceService } from '../config/service';
import { matchesQuery } from '../config/versioning';
import { ConflictError } from '../errors';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import { segmentKeysOf } from '../rules';
import type { Segment, SegmentListItem } from './requests';
import { segmentInputSchema } from './schema';

/**
 * `segments` whole while their JSON stays within `budget` bytes (the first always whole); past it, without
 * `included`/`excluded` (`listsOmitted`, with their lengths), so that a page of large segments still fits in
 * one answer.
 */
export function withinBudget(segments: readonly Segment[], budget = LIST_PAGE_BYTES): SegmentListItem[] {
  let spent = 0;
  return segments.map((segment, i) => {
    const size = jsonBytes(segment);
    if (i === 0 || spent + size <= budget) {
      spent += size;
      return segment;
    }
    const { included, excluded, ...rest } = segment;
    spent += jsonBytes(rest);
    return { ...rest, listsOmitted: true, includedCount: included.length, excludedCount: excluded.length };
  });
}

/** Segments (SPEC §2.2): reusable audiences; one still used by a flag or an experiment cannot be deleted. */
export class SegmentsService extends VersionedResourceService<Segment> {
  constructor(
    segments: ConfigRepository<Segment>,
    private readonly flags: ConfigReader<Flag>,
    private readonly experiments: ConfigReader<Experiment>,
  ) {
    super(segments, segmentInputSchema);
  }

  /** One page, within {@link LIST_PAGE_BYTES}: segments past it come without their id lists. */
  async list(
    query: PaginationQuery & { tag?: string | undefined; q?: string | undefined },
  ): Promise<Page<SegmentListItem>> {
    const all = (await this.repository.list()).filter(
      (s) =>
        (query.tag === undefined || s.tags.includes(query.tag)) &&
        matchesQuery(query.q, s.key, s.name, s.description),
    );
    const page = paginate(all, query);
    return { ...page, items: withinBudget(page.items) };
  }

  /**
   * Refused (409 naming them) while a flag's rules or an experiment's eligibility conditions name the segment,
   * whatever the flag's or the experiment's state: an unknown segment matches nobody, silently.
   */
  protected override async checkRemove(before: Segment): Promise<void> {
    const { key } = before;
    const flags = (await this.flags.list()).filter((f) =>
      f.rules.some((r) => segmentKeysOf(r.conditions).has(key)),
    );
    const experiments = (await this.experiments.list()).filter(
      (e) => e.conditions !== undefined && segmentKeysOf(e.conditions).has(key),
    );
    if (flags.length > 0 || experiments.length > 0) {
      const users = [
        ...(flags.length > 0 ? [`flags ${flags.map((f) => f.key).join(', ')}`] : []),
        ...(experiments.length > 0
          ? [`experiments ${experiments.map((e) => `${e.key} (${e.status})`).join(', ')}`]
          : []),
      ];
      throw new ConflictError(`segment ${key} is used by ${users.join(' and ')}: remove it there first`, {
        flags: flags.map((f) => f.key),
        experiments: experiments.map((e) => e.key),
      });
    }
  }
}
