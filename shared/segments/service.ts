import { auditRecord, type ChangeContext } from '../audit/actor';
import type { ConfigRepository } from '../config/repository';
import { expectedVersion, matchesQuery, validateDocument } from '../config/versioning';
import { ConflictError, NotFoundError } from '../errors';
import type { Flag } from '../flags/requests';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import { segmentKeysOf } from '../rules';
import type { Segment } from './requests';
import { segmentInputSchema, type SegmentInput } from './schema';

const resource = (key: string) => ({ kind: 'segment', key });

export interface SegmentChange {
  readonly context: ChangeContext;
  readonly version?: number;
  readonly ifMatch?: string;
}

/** Segments (SPEC §2.2): reusable audiences; one still used by a flag cannot be deleted. */
export class SegmentsService {
  constructor(
    private readonly segments: ConfigRepository<Segment>,
    private readonly flags: ConfigRepository<Flag>,
  ) {}

  async list(
    query: PaginationQuery & { tag?: string | undefined; q?: string | undefined },
  ): Promise<Page<Segment>> {
    const all = (await this.segments.list()).filter(
      (s) =>
        (query.tag === undefined || s.tags.includes(query.tag)) &&
        matchesQuery(query.q, s.key, s.name, s.description),
    );
    return paginate(all, query);
  }

  async get(key: string): Promise<Segment> {
    const segment = await this.segments.get(key);
    if (segment === null) throw new NotFoundError(`No segment ${key}`);
    return segment;
  }

  async create(input: SegmentInput, context: ChangeContext): Promise<Segment> {
    const now = new Date().toISOString();
    const segment: Segment = {
      ...input,
      createdBy: context.actor,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    return this.segments.create(
      segment,
      auditRecord(context, 'segment.create', resource(segment.key), null, segment),
    );
  }

  async update(
    key: string,
    fields: Partial<Omit<SegmentInput, 'key'>>,
    change: SegmentChange,
  ): Promise<Segment> {
    const before = await this.get(key);
    const version = expectedVersion(change.version, change.ifMatch);
    if (version !== before.version) {
      throw new ConflictError(
        `segment ${key} is at version ${before.version}, not ${version}: read it again`,
      );
    }
    const { createdBy, createdAt, updatedAt: _u, version: _v, ...current } = before;
    const input = validateDocument(segmentInputSchema, { ...current, ...fields, key });
    const after: Segment = {
      ...input,
      createdBy,
      createdAt,
      updatedAt: new Date().toISOString(),
      version: version + 1,
    };
    return this.segments.replace(
      after,
      auditRecord(change.context, 'segment.update', resource(key), before, after),
    );
  }

  async remove(key: string, change: SegmentChange): Promise<void> {
    const before = await this.get(key);
    const users = (await this.flags.list()).filter((f) =>
      f.rules.some((r) => segmentKeysOf(r.conditions).has(key)),
    );
    if (users.length > 0) {
      throw new ConflictError(
        `segment ${key} is used by flags ${users.map((f) => f.key).join(', ')}: remove it there first`,
      );
    }
    const version =
      change.version ??
      (change.ifMatch === undefined ? before.version : expectedVersion(undefined, change.ifMatch));
    await this.segments.remove(
      key,
      version,
      auditRecord(change.context, 'segment.delete', resource(key), before, null),
    );
  }
}
