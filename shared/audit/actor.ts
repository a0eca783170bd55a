import type { UserPrincipal } from '../auth/principal';
import type { AuditRecord, AuditResourceKind } from './schema';

/** Who made a change and in which request: what every audited service method receives. */
export interface ChangeContext {
  readonly actor: string;
  readonly actorName: string | null;
  readonly requestId: string;
}

export function userChange(principal: UserPrincipal, requestId: string): ChangeContext {
  return { actor: principal.sub, actorName: principal.email ?? principal.username, requestId };
}

/** Jobs (scheduler, rollout advancer, safety monitor) act as `system:<job>`. */
export function systemChange(job: string, requestId: string): ChangeContext {
  return { actor: `system:${job}`, actorName: null, requestId };
}

export function auditRecord(
  context: ChangeContext,
  action: string,
  resource: { kind: AuditResourceKind; key: string },
  before: unknown,
  after: unknown,
): AuditRecord {
  return {
    actor: context.actor,
    actorName: context.actorName,
    requestId: context.requestId,
    action,
    resourceKind: resource.kind,
    resourceKey: resource.key,
    before: before ?? null,
    after: after ?? null,
  };
}
