import { paginate, type Page, type PaginationQuery } from '../pagination';
import type { AuditRepository } from './repository';
import type { AuditEntry, AuditFilter } from './schema';

export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  async list(query: AuditFilter & PaginationQuery): Promise<Page<AuditEntry>> {
    return paginate(await this.repository.find(query), query);
  }

  /** Newline-delimited JSON, one entry per line, newest first. */
  async exportNdjson(filter: AuditFilter): Promise<string> {
    const entries = await this.repository.find(filter);
    return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
  }
}
