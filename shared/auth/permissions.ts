import type { Role } from './roles';

/**
 * What each role may do, resource by resource (SPEC §1). Routes name the permission they need in the
 * route table (shared/http/routes.ts); this matrix is the only place that says who holds it.
 */
export const RESOURCES = [
  'users',
  'flags',
  'segments',
  'layers',
  'metrics',
  'experiments',
  'results',
  'rollouts',
  'safety',
  'apiKeys',
  'audit',
] as const;
export type Resource = (typeof RESOURCES)[number];

export const ACTIONS = ['read', 'create', 'update', 'delete', 'manage'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Permission {
  readonly resource: Resource;
  readonly action: Action;
}

const ALL: readonly Action[] = ACTIONS;
const READ: readonly Action[] = ['read'];
const WRITE: readonly Action[] = ['read', 'create', 'update', 'delete'];

export const ROLE_GRANTS: Readonly<Record<Role, Readonly<Partial<Record<Resource, readonly Action[]>>>>> = {
  admin: Object.fromEntries(RESOURCES.map((r) => [r, ALL])),
  developer: {
    flags: WRITE,
    segments: WRITE,
    layers: WRITE,
    metrics: WRITE,
    experiments: WRITE,
    results: READ,
    rollouts: WRITE,
    // Read the settings and rollbacks; `update`: a flag's safety config and a manual rollback, of the flags they
    // own only (checked by shared/safety/service.ts). The settings need `manage`: ADMIN only (SPEC §1).
    safety: ['read', 'update'],
  },
  analyst: {
    flags: READ,
    segments: READ,
    layers: READ,
    metrics: READ,
    experiments: READ,
    results: READ,
    rollouts: READ,
    safety: READ,
    audit: READ,
    // Users and API keys are ADMIN-only (issue 3: "Users API (ADMIN; `me` for all)").
  },
  viewer: {
    flags: READ,
    segments: READ,
    layers: READ,
    experiments: READ,
    rollouts: READ,
  },
};

export function isGranted(role: Role | null, permission: Permission): boolean {
  if (role === null) return false;
  return ROLE_GRANTS[role][permission.resource]?.includes(permission.action) ?? false;
}
