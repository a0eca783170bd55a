import type { UserPrincipal } from '../auth/principal';
import type { AuditRecord } from './schema';

/** Who made a change and in which request: what every audited service method receives. */
export interface ChangeContext {
  readonly actor: string;
  readonly actorName: string | null;
  readonly requestId: string;
}

export function userChange(principal: UserPrincipal, requestId: string): ChangeContext {
  return { actor: principal.sub, actorName: principal.email ?? principal.username, requestId };
}

/** A change request to a versioned resource: who, in which request, based on which version. */
export interface VersionedChange {
  readonly principal: UserPrincipal;
  readonly context: ChangeContext;
  readonly version?: number;
  readonly ifMatch?: string;
}

/** The VersionedChange of a route's input: the version from the body (if any) or the If-Match header. */
export function versionedChange(
  input: {
    readonly principal: UserPrincipal;
    readonly requestId: string;
    readonly headers: Readonly<Record<string, string | undefined>>;
  },
  version?: number,
): VersionedChange {
  return {
    principal: input.principal,
    context: userChange(input.principal, input.requestId),
    version,
    ifMatch: input.headers['if-match'],
  };
}

/** Jobs (scheduler, rollout advancer, safety monitor) act as `system:<job>`. */
export function systemChange(job: string, requestId: string): ChangeContext {
  return { actor: `system:${job}`, actorName: null, requestId };
}

export function auditRecord(
  context: ChangeContext,
  action: string,
  resource: { kind: string; key: string },
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
