import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { auditRecord, type ChangeContext } from '../audit/actor';
import type { AuditRepository } from '../audit/repository';
import { NotFoundError } from '../errors';
import { paginate, type Page } from '../pagination';
import type { ApiKeyRecord, ApiKeyRepository } from './repository';
import type { ApiKey, CreateApiKeyInput, CreatedApiKey, ListApiKeysQuery } from './schema';
import { newSecret, timeOrderedId } from './secret';

const resource = (id: string) => ({ kind: 'apiKey' as const, key: id });

/** What the API and the audit log show of a key: everything but the hash. */
export function apiKeyView(record: ApiKeyRecord): ApiKey {
  const { secretHash: _hash, ...view } = record;
  return view;
}

/**
 * SDK API keys (SPEC §2.8), administered by admins: the secret exists in clear only in the answer to
 * `create`; the table keeps its SHA-256 hash and the audit log neither. Revoking is idempotent: revoking a
 * revoked key answers the key as it is, changes nothing and audits nothing.
 */
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: CreateApiKeyInput, context: ChangeContext): Promise<CreatedApiKey> {
    const now = this.now();
    const { secret, hash, prefix } = newSecret(input.type);
    const record: ApiKeyRecord = {
      id: timeOrderedId(now.getTime()),
      name: input.name,
      type: input.type,
      prefix,
      createdBy: context.actor,
      createdAt: now.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      secretHash: hash,
    };
    const view = apiKeyView(record);
    await this.audit.commit(
      [this.keys.createPut(record)],
      auditRecord(context, 'apiKey.create', resource(record.id), null, view),
    );
    return { ...view, secret };
  }

  /** Newest first, filtered by type and by revoked or not. */
  async list(query: ListApiKeysQuery): Promise<Page<ApiKey>> {
    const keys = (await this.keys.list()).filter(
      (k) =>
        (query.type === undefined || k.type === query.type) &&
        (query.revoked === undefined || (k.revokedAt !== null) === query.revoked),
    );
    return paginate(keys.map(apiKeyView), query);
  }

  async revoke(id: string, context: ChangeContext): Promise<ApiKey> {
    const before = await this.keys.byId(id);
    if (before === null) throw new NotFoundError(`No API key ${id}`);
    if (before.revokedAt !== null) return apiKeyView(before);
    const after: ApiKeyRecord = { ...before, revokedAt: this.now().toISOString() };
    try {
      await this.audit.commit(
        [this.keys.revokeUpdate(before, after.revokedAt!)],
        auditRecord(context, 'apiKey.revoke', resource(id), apiKeyView(before), apiKeyView(after)),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Revoked by a concurrent request (which wrote the audit entry): answer the key as it now is.
      const current = await this.keys.byHash(before.secretHash);
      if (current === null) throw new NotFoundError(`No API key ${id}`);
      return apiKeyView(current);
    }
    return apiKeyView(after);
  }
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
}
