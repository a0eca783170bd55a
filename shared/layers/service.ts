import type { ConfigReader, ConfigRepository } from '../config/repository';
import { VersionedResourceService } from '../config/service';
import { matchesQuery } from '../config/versioning';
import { ConflictError } from '../errors';
import { LOCKED_STATUSES } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import { layerInputSchema, type Layer, type LayerInput } from './requests';

/** Layers (SPEC §2.4): one still named by an experiment, whatever its status, cannot be deleted. */
export class LayersService extends VersionedResourceService<Layer> {
  constructor(
    layers: ConfigRepository<Layer>,
    private readonly experiments: ConfigReader<Experiment>,
  ) {
    super(layers, layerInputSchema);
  }

  async list(
    query: PaginationQuery & { tag?: string | undefined; q?: string | undefined },
  ): Promise<Page<Layer>> {
    const all = (await this.repository.list()).filter(
      (l) =>
        (query.tag === undefined || l.tags.includes(query.tag)) &&
        matchesQuery(query.q, l.key, l.name, l.description),
    );
    return paginate(all, query);
  }

  /** The salt is locked while an experiment runs in the layer. */
  protected override async checkChange(before: Layer, after: LayerInput): Promise<void> {
    if (after.salt === before.salt) return;
    const running = (await this.inLayer(before.key)).filter((e) => LOCKED_STATUSES.includes(e.status));
    if (running.length > 0) {
      throw new ConflictError(
        `salt of layer ${before.key} is locked while experiments ${running.map((e) => e.key).join(', ')} run in it`,
        { field: 'salt' },
      );
    }
  }

  protected override async checkRemove(before: Layer): Promise<void> {
    const users = await this.inLayer(before.key);
    if (users.length > 0) {
      throw new ConflictError(
        `layer ${before.key} is used by experiments ${users.map((e) => `${e.key} (${e.status})`).join(', ')}: ` +
          'move or delete them first',
        { experiments: users.map((e) => e.key) },
      );
    }
  }

  private async inLayer(key: string): Promise<Experiment[]> {
    return (await this.experiments.list()).filter((e) => e.layer === key);
  }
}
