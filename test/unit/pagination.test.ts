import { paginate, paginationQuery } from '../../shared/pagination';

describe('pagination', () => {
  const items = Array.from({ length: 45 }, (_, i) => i);

  it('defaults to page 1 of 20 and coerces query strings', () => {
    expect(paginationQuery.parse({})).toEqual({ page: 1, page_size: 20 });
    expect(paginationQuery.parse({ page: '3', page_size: '10' })).toEqual({ page: 3, page_size: 10 });
  });

  it('refuses page sizes over 100, zero pages and non-integers', () => {
    expect(paginationQuery.safeParse({ page_size: '101' }).success).toBe(false);
    expect(paginationQuery.safeParse({ page: '0' }).success).toBe(false);
    expect(paginationQuery.safeParse({ page: '1.5' }).success).toBe(false);
    expect(paginationQuery.safeParse({ page: 'abc' }).success).toBe(false);
  });

  it('cuts pages and counts them', () => {
    expect(paginate(items, { page: 1, page_size: 20 })).toEqual({
      items: items.slice(0, 20),
      total: 45,
      page: 1,
      page_size: 20,
      total_pages: 3,
    });
    expect(paginate(items, { page: 3, page_size: 20 }).items).toEqual([40, 41, 42, 43, 44]);
    expect(paginate(items, { page: 4, page_size: 20 }).items).toEqual([]);
    expect(paginate([], { page: 1, page_size: 20 }).total_pages).toBe(0);
  });
});
