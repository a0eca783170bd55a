import type { ChangeContext } from '../../shared/audit/actor';
import type { ConfigRepository } from '../../shared/config/repository';
import {
  checkVersion,
  deleteVersion,
  firstVersion,
  nextVersion,
  type ServerManaged,
  type Versioned,
  type VersionedChange,
} from '../../shared/config/versioning';
import { ConflictError, NotFoundError } from '../../shared/errors';

export interface Change {
  readonly kind: string;
  readonly key: string;
  readonly action: string;
  readonly actor: string;
  readonly version: number;
}

/** The part of ConfigRepository the services use, in memory, with the same version checks; `log` is the audit. */
export class MemoryRepository<T extends Versioned> {
  readonly items = new Map<string, T>();
  constructor(
    readonly kind: string,
    readonly log: Change[] = [],
  ) {}
  async get(key: string) {
    return this.items.get(key) ?? null;
  }
  async require(key: string) {
    const item = this.items.get(key);
    if (item === undefined) throw new NotFoundError(`No ${this.kind} ${key}`);
    return item;
  }
  async forChange(key: string, change: VersionedChange) {
    return checkVersion(this.kind, await this.require(key), change);
  }
  async list() {
    return [...this.items.values()];
  }
  async keys() {
    return [...this.items.keys()];
  }
  async create(document: Omit<T, ServerManaged>, context: ChangeContext, now?: Date) {
    const item = firstVersion(document, context, now) as T;
    if (this.items.has(item.key)) throw new ConflictError(`${item.key} exists`);
    this.items.set(item.key, item);
    this.record(item, 'create', context);
    return item;
  }
  async replace(
    before: T,
    document: Omit<T, ServerManaged>,
    context: ChangeContext,
    action = 'update',
    now?: Date,
  ) {
    const after = nextVersion(before, document, now);
    if (this.items.get(after.key)?.version !== before.version) throw new ConflictError('stale');
    this.items.set(after.key, after);
    this.record(after, action, context);
    return after;
  }
  async remove(stored: T, change: VersionedChange) {
    if (this.items.get(stored.key)?.version !== deleteVersion(this.kind, stored, change))
      throw new ConflictError('stale');
    this.items.delete(stored.key);
    this.record(stored, 'delete', change.context);
  }
  /** Typed as the real repository for the services' constructors. */
  asRepository(): ConfigRepository<T> {
    return this as unknown as ConfigRepository<T>;
  }
  private record(item: T, action: string, context: ChangeContext) {
    this.log.push({
      kind: this.kind,
      key: item.key,
      action: `${this.kind}.${action}`,
      actor: context.actor,
      version: item.version,
    });
  }
}
