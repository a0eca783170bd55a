import type { ChangeContext } from '../audit/actor';
import type { ConfigReader, ConfigRepository } from '../config/repository';
import { clientFields, matchesQuery, mergeChange, type VersionedChange } from '../config/versioning';
import { ConflictError } from '../errors';
import { LOCKED_STATUSES } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import { layerInputSchema, type Layer, type LayerInput } from './requests';

/** Layers (SPEC §2.4): one still named by an experiment, whatever its status, cannot be deleted. */
export class LayersService {
  constructor(
    private readonly layers: ConfigRepository<Layer>,
    private readonly experiments: ConfigReader<Experiment>,
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

  get(key: string): Promise<Layer> {
    return this.layers.require(key);
  }

  create(input: LayerInput, context: ChangeContext): Promise<Layer> {
    return this.layers.create(input, context);
  }

  /** `replace`: the body is the whole layer; otherwise only the fields sent change. */
  async update(
    key: string,
    fields: Partial<Omit<LayerInput, 'key'>>,
    change: VersionedChange,
    replace = false,
  ): Promise<Layer> {
    const before = await this.layers.forChange(key, change);
    const input = mergeChange(layerInputSchema, clientFields(before), fields, replace);
    if (input.salt !== before.salt) {
      const running = (await this.inLayer(key)).filter((e) => LOCKED_STATUSES.includes(e.status));
      if (running.length > 0) {
        throw new ConflictError(
          `salt of layer ${key} is locked while experiments ${running.map((e) => e.key).join(', ')} run in it`,
          { field: 'salt' },
        );
      }
    }
    return this.layers.replace(before, input, change.context);
  }

  async remove(key: string, change: VersionedChange): Promise<void> {
    const before = await this.layers.require(key);
    const users = await this.inLayer(key);
    if (users.length > 0) {
      throw new ConflictError(
        `layer ${key} is used by experiments ${users.map((e) => `${e.key} (${e.status})`).join(', ')}: ` +
          'move or delete them first',
        { experiments: users.map((e) => e.key) },
      );
    }
    await this.layers.remove(before, change);
  }

  private async inLayer(key: string): Promise<Experiment[]> {
    return (await this.experiments.list()).filter((e) => e.layer === key);
  }
}
