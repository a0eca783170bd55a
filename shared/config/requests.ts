import * as z from 'zod';
import { pageSchema, paginationQuery } from '../pagination';
import { resourceKeySchema } from '../rules/schema';
import { patchBodyOf, replaceBodyOf } from './versioning';

/** The path parameter of one resource: `{key}`. */
export const keyParams = z.strictObject({ key: resourceKeySchema });

/** List filters most resources take: one tag, and a text (`q`) searched case-insensitively. */
export const tagFilter = z.string().min(1).max(64).optional();
export const textFilter = z.string().min(1).max(200).optional();

/** What a versioned resource's request schemas derive from. */
interface VersionedSchemaSources<
  Input extends z.ZodType,
  Resource extends z.ZodType,
  Editable extends z.ZodRawShape,
  Filters extends z.ZodRawShape,
  Item extends z.ZodType,
> {
  /** The create body: every client field, cross-field rules included. */
  readonly input: Input;
  /** The resource as stored and returned. */
  readonly resource: Resource;
  /** The fields PUT and PATCH change (every client field but the key, and what only its own routes set). */
  readonly editable: z.ZodObject<Editable>;
  /** The list's filters besides `page` and `page_size`. */
  readonly filters: Filters;
  /**
   * A list page's item.
   * @default - the resource
   */
  readonly listItem?: Item;
}

/**
 * The request and response schemas of a versioned resource's routes (shared/http/routes.ts `versionedRoutes`):
 * its key parameter, the create body, the PUT body (every editable field, defaults applied) and the PATCH body
 * (only the fields sent, no default: `patchBodyOf`), named `<name>Replace` and `<name>Patch` in the API
 * document, the list query and page.
 */
export function versionedRequests<
  Input extends z.ZodType,
  Resource extends z.ZodType,
  Editable extends z.ZodRawShape,
  Filters extends z.ZodRawShape,
  Item extends z.ZodType = Resource,
>(name: string, sources: VersionedSchemaSources<Input, Resource, Editable, Filters, Item>) {
  return {
    params: keyParams,
    create: sources.input,
    resource: sources.resource,
    replace: replaceBodyOf(sources.editable).meta({ id: `${name}Replace` }),
    patch: patchBodyOf(sources.editable).meta({ id: `${name}Patch` }),
    list: z.strictObject({ ...paginationQuery.shape, ...sources.filters }),
    page: pageSchema((sources.listItem ?? sources.resource) as Item),
  };
}
