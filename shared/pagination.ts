import * as z from 'zod';

export const MAX_PAGE_SIZE = 100;

/** `?page=1&page_size=20` (SPEC §3); merge into a route's query schema. */
export const paginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});
export type PaginationQuery = z.output<typeof paginationQuery>;

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly page_size: number;
  readonly total_pages: number;
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    total_pages: z.number().int(),
  });
}

/** Cut one page out of an already filtered and ordered list. */
export function paginate<T>(all: readonly T[], query: PaginationQuery): Page<T> {
  const start = (query.page - 1) * query.page_size;
  return {
    items: all.slice(start, start + query.page_size),
    total: all.length,
    page: query.page,
    page_size: query.page_size,
    total_pages: Math.ceil(all.length / query.page_size),
  };
}
