import { auditRecord, type ChangeContext } from '../audit/actor';
import type { ConfigRepository } from '../config/repository';
import { expectedVersion, matchesQuery, validateDocument } from '../config/versioning';
import { ConflictError, NotFoundError } from '../errors';
import { LOCKED_STATUSES } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import { layerInputSchema, type Layer, type LayerInput } from './requests';

const resource = (key: string) => ({ kind: 'layer', key });

export interface LayerChange {
  readonly context: ChangeContext;
  readonly version?: number;
  readonly ifMatch?: string;
}

/** Layers (SPEC §2.4): one still named by an experiment cannot be deleted. */
export class LayersService {
  constructor(
    private readonly layers: ConfigRepository<Layer>,
    private readonly experiments: ConfigRepository<Experiment>,
  ) {}

  async list(
    query: PaginationQuery & { tag?: string | undefined; q?: string | undefined },
  ): Promise<Page<Layer>> {
    const all = (await this.layers.list()).filter(
      (l) =>
        (query.tag === undefined || l.tags.includes(query.tag)) &&
        matchesQuery(query.q, l.key, l.name, l.description),
    );
    return paginate(all, query);
  }

  async get(key: string): Promise<Layer> {
    const layer = await this.layers.get(key);
    if (layer === null) throw new NotFoundError(`No layer ${key}`);
    return layer;
  }

  async create(input: LayerInput, context: ChangeContext): Promise<Layer> {
    const now = new Date().toISOString();
    const layer: Layer = { ...input, createdBy: context.actor, createdAt: now, updatedAt: now, version: 1 };
    return this.layers.create(layer, auditRecord(context, 'layer.create', resource(layer.key), null, layer));
  }

  /** `replace`: the body is the whole layer; otherwise only the fields sent change. */
  async update(
    key: string,
    fields: Partial<Omit<LayerInput, 'key'>>,
    change: LayerChange,
    replace = false,
  ): Promise<Layer> {
    const before = await this.get(key);
    const version = expectedVersion(change.version, change.ifMatch);
    if (version !== before.version) {
      throw new ConflictError(`layer ${key} is at version ${before.version}, not ${version}: read it again`);
    }
    const { createdBy, createdAt, updatedAt: _u, version: _v, ...current } = before;
    const input = validateDocument(
      layerInputSchema,
      replace ? { ...fields, key } : { ...current, ...fields, key },
    );
    if (input.salt !== before.salt) {
      const running = (await this.inLayer(key)).filter((e) => LOCKED_STATUSES.includes(e.status));
      if (running.length > 0) {
        throw new ConflictError(
          `salt of layer ${key} is locked while experiments ${running.map((e) => e.key).join(', ')} run in it`,
          { field: 'salt' },
        );
      }
    }
    const after: Layer = {
      ...input,
      createdBy,
      createdAt,
      updatedAt: new Date().toISOString(),
      version: version + 1,
    };
    return this.layers.replace(
      after,
      auditRecord(change.context, 'layer.update', resource(key), before, after),
    );
  }

  async remove(key: string, change: LayerChange): Promise<void> {
    const before = await this.get(key);
    const users = await this.inLayer(key);
    if (users.length > 0) {
      throw new ConflictError(
        `layer ${key} is used by experiments ${users.map((e) => e.key).join(', ')}: move or delete them first`,
      );
    }
    const version =
      change.version ??
      (change.ifMatch === undefined ? before.version : expectedVersion(undefined, change.ifMatch));
    await this.layers.remove(
      key,
      version,
      auditRecord(change.context, 'layer.delete', resource(key), before, null),
    );
  }

  private async inLayer(key: string): Promise<Experiment[]> {
    return (await this.experiments.list()).filter((e) => e.layer === key);
  }
}
