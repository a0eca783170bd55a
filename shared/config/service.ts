import type * as z from 'zod';
import type { ChangeContext } from '../audit/actor';
import type { ConfigRepository } from './repository';
import {
  clientFields,
  mergeChange,
  type ServerManaged,
  type Versioned,
  type VersionedChange,
} from './versioning';

/**
 * A versioned resource whose service is the one write path plus its own rules: get, create, PUT (`replace`: the
 * body is the whole resource), PATCH (`update`: only the fields sent) and delete go through
 * {@link ConfigRepository}; a subclass adds its list and its rules (`checkChange`, `checkRemove`).
 */
export abstract class VersionedResourceService<T extends Versioned> {
  protected constructor(
    protected readonly repository: ConfigRepository<T>,
    /** The whole resource as a client sends it, cross-field rules included: every change is validated whole. */
    private readonly inputSchema: z.ZodType<Omit<T, ServerManaged>>,
  ) {}

  get(key: string): Promise<T> {
    return this.repository.require(key);
  }

  create(input: Omit<T, ServerManaged>, context: ChangeContext): Promise<T> {
    return this.repository.create(input, context);
  }

  replace(key: string, fields: Omit<T, ServerManaged | 'key'>, change: VersionedChange): Promise<T> {
    return this.change(key, fields, change, true);
  }

  update(key: string, fields: Partial<Omit<T, ServerManaged | 'key'>>, change: VersionedChange): Promise<T> {
    return this.change(key, fields, change, false);
  }

  async remove(key: string, change: VersionedChange): Promise<void> {
    const before = await this.repository.require(key);
    await this.checkRemove(before);
    await this.repository.remove(before, change);
  }

  /** The resource's own rules on a change from `before` to `after` (throw to refuse it). */
  protected async checkChange(_before: T, _after: Omit<T, ServerManaged>): Promise<void> {}

  /** The resource's own rules on deleting `before` (throw to refuse it). */
  protected async checkRemove(_before: T): Promise<void> {}

  private async change(key: string, fields: object, change: VersionedChange, replace: boolean): Promise<T> {
    const before = await this.repository.forChange(key, change);
    const after = mergeChange(this.inputSchema, clientFields(before), fields, replace);
    await this.checkChange(before, after);
    return this.repository.replace(before, after, change.context);
  }
}
