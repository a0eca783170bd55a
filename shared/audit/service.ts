import { paginate, type Page, type PaginationQuery } from '../pagination';
import { AUDIT_PAGE_BODY_BYTES, type AuditRepository } from './repository';
import type { AuditEntry, AuditFilter } from './schema';

export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  /** One page; before/after stored beside entries are read only for the page, within its byte budget. */
  async list(query: AuditFilter & PaginationQuery): Promise<Page<AuditEntry>> {
    const page = paginate(await this.repository.findEntries(query), query);
    return { ...page, items: await this.repository.withBodies(page.items, AUDIT_PAGE_BODY_BYTES) };
  }

  /** Newline-delimited JSON, one entry per line, newest first. */
  async exportNdjson(filter: AuditFilter): Promise<string> {
    const entries = await this.repository.find(filter);
    return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
  }
}
