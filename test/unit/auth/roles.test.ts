import { isGranted } from '../../../shared/auth/permissions';
import { strongestRole } from '../../../shared/auth/roles';

describe('roles from cognito:groups (the array itself: test/unit/auth/token.test.ts)', () => {
  it('picks the strongest role and ignores unknown groups', () => {
    expect(strongestRole(['viewer', 'developer'])).toBe('developer');
    expect(strongestRole(['analyst', 'admin'])).toBe('admin');
    expect(strongestRole(['viewer', 'analyst'])).toBe('analyst');
    expect(strongestRole(['us-east-1_pool_Google', 'beta'])).toBeNull();
    expect(strongestRole([])).toBeNull();
  });
});

describe('the permission matrix (SPEC §1)', () => {
  it('gives admin everything and a user with no role nothing', () => {
    expect(isGranted('admin', { resource: 'safety', action: 'manage' })).toBe(true);
    expect(isGranted(null, { resource: 'flags', action: 'read' })).toBe(false);
  });

  it('lets analysts read results and audit but change nothing', () => {
    expect(isGranted('analyst', { resource: 'results', action: 'read' })).toBe(true);
    expect(isGranted('analyst', { resource: 'audit', action: 'read' })).toBe(true);
    expect(isGranted('analyst', { resource: 'flags', action: 'update' })).toBe(false);
    expect(isGranted('analyst', { resource: 'users', action: 'read' })).toBe(false);
    expect(isGranted('analyst', { resource: 'apiKeys', action: 'read' })).toBe(false);
  });

  it('keeps viewers away from results, audit, keys and users', () => {
    expect(isGranted('viewer', { resource: 'flags', action: 'read' })).toBe(true);
    for (const resource of ['results', 'audit', 'apiKeys', 'users', 'metrics', 'safety'] as const) {
      expect(isGranted('viewer', { resource, action: 'read' })).toBe(false);
    }
  });

  it('lets developers manage flags but not users, keys or safety settings', () => {
    expect(isGranted('developer', { resource: 'flags', action: 'create' })).toBe(true);
    expect(isGranted('developer', { resource: 'users', action: 'read' })).toBe(false);
    expect(isGranted('developer', { resource: 'apiKeys', action: 'create' })).toBe(false);
    // Safety settings need `manage`; `update` (a flag's safety config, a manual rollback) is theirs for the flags
    // they own, which the safety service checks.
    expect(isGranted('developer', { resource: 'safety', action: 'manage' })).toBe(false);
    expect(isGranted('developer', { resource: 'safety', action: 'update' })).toBe(true);
  });
});
