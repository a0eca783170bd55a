import type { ChangeContext } from '../audit/actor';
import { auditRecord } from '../audit/actor';
import type { AuditRepository } from '../audit/repository';
import type { UserPrincipal } from '../auth/principal';
import { strongestRole, type Role } from '../auth/roles';
import { ConflictError, NotFoundError } from '../errors';
import { paginate, type Page, type PaginationQuery } from '../pagination';
import type { DirectoryUser, UserDirectory } from './directory';
import type { CurrentUser, User } from './schema';

export function currentUser(principal: UserPrincipal): CurrentUser {
  return {
    sub: principal.sub,
    username: principal.username,
    email: principal.email,
    role: principal.role,
    groups: [...principal.groups],
  };
}

function toUser(user: DirectoryUser): User {
  return { ...user, groups: [...user.groups], role: strongestRole(user.groups) };
}

/** What the audit log keeps of a user: the parts the Users API changes. */
function auditView(user: DirectoryUser | User) {
  return { email: user.email, role: strongestRole(user.groups), enabled: user.enabled };
}

/** Users API (ADMIN): every change is applied in the identity provider, then audited (or undone). */
export class UsersService {
  constructor(
    private readonly directory: UserDirectory,
    private readonly audit: AuditRepository,
  ) {}

  async list(query: PaginationQuery): Promise<Page<User>> {
    const users = (await this.directory.list()).map(toUser);
    users.sort((a, b) => (a.email ?? a.id).localeCompare(b.email ?? b.id));
    return paginate(users, query);
  }

  async get(id: string): Promise<User> {
    return toUser(await this.require(id));
  }

  async create(email: string, role: Role, context: ChangeContext): Promise<User> {
    let created: DirectoryUser | null = null;
    await this.audit.commitExternal(
      {
        apply: async () => {
          created = await this.directory.create(email, role);
          if (created === null) throw new ConflictError(`A user with email ${email} already exists`);
        },
        undo: async () => {
          if (created !== null) await this.directory.remove(created.id);
        },
      },
      () =>
        auditRecord(context, 'user.create', { kind: 'user', key: created!.id }, null, auditView(created!)),
    );
    return toUser(created!);
  }

  async setRole(id: string, role: Role, context: ChangeContext): Promise<User> {
    const before = await this.require(id);
    if (id === context.actor && role !== 'admin') {
      throw new ConflictError('You cannot change your own role: ask another admin');
    }
    const roleGroups = before.groups.filter(isRoleGroup);
    if (roleGroups.length === 1 && roleGroups[0] === role) return toUser(before);
    const previous = strongestRole(before.groups);
    const after = { ...before, groups: [...before.groups.filter((g) => !isRoleGroup(g)), role] };
    await this.audit.commitExternal(
      { apply: () => this.directory.setRole(id, role), undo: () => this.directory.setRole(id, previous) },
      () =>
        auditRecord(context, 'user.setRole', { kind: 'user', key: id }, auditView(before), auditView(after)),
    );
    return toUser(after);
  }

  async setEnabled(id: string, enabled: boolean, context: ChangeContext): Promise<User> {
    const before = await this.require(id);
    if (id === context.actor && !enabled) throw new ConflictError('You cannot disable your own account');
    if (before.enabled === enabled) return toUser(before);
    const after = { ...before, enabled };
    const action = enabled ? 'user.enable' : 'user.disable';
    await this.audit.commitExternal(
      {
        apply: () => this.directory.setEnabled(id, enabled),
        undo: () => this.directory.setEnabled(id, !enabled),
      },
      () => auditRecord(context, action, { kind: 'user', key: id }, auditView(before), auditView(after)),
    );
    return toUser(after);
  }

  private async require(id: string): Promise<DirectoryUser> {
    const user = await this.directory.get(id);
    if (user === null) throw new NotFoundError(`No user ${id}`);
    return user;
  }
}

function isRoleGroup(group: string): boolean {
  return strongestRole([group]) !== null;
}
