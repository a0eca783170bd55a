import { useState, type FormEvent } from 'react';
import { ROLES, type Role } from '../../../shared/auth/roles';
import type { Page } from '../../../shared/pagination';
import type { User } from '../../../shared/users/schema';
import { call } from '../api';
import { can, type Session } from '../session';
import { ActionStatus, PageTable, RequestStatus, SuccessMessage, useAction, useLoad, when } from '../ui';

/** A user's role as chosen in the row's select, applied with its button. */
function RoleCell({ user, busy, onApply }: { user: User; busy: boolean; onApply: (role: Role) => void }) {
  const [role, setRole] = useState<Role>(user.role ?? 'viewer');
  const label = user.email ?? user.id;
  return (
    <span className="inline">
      <select aria-label={`Role of ${label}`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <button
        type="button"
        disabled={busy || role === user.role}
        aria-label={`Set role of ${label}`}
        onClick={() => onApply(role)}
      >
        Set role
      </button>
    </span>
  );
}

/**
 * The users and their roles (ADMIN): invite by email into a role, move a user to another role, disable or
 * enable sign-in. The API refuses an admin's change of their own role or access (409, shown as its message).
 */
export function Users({ session }: { session: Session }) {
  const users = useLoad(() => call<Page<User>>(session.token, 'GET', '/api/v1/users?page_size=100'), 'users');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [done, setDone] = useState<string | null>(null);
  const act = useAction();
  const invite = useAction();
  const mayUpdate = can(session, 'users', 'update');
  const mayCreate = can(session, 'users', 'create');

  const change = (user: User, path: string, method: 'PUT' | 'POST', body: unknown, message: string) =>
    void act.run(async () => {
      setDone(null);
      await call(session.token, method, `/api/v1/users/${encodeURIComponent(user.id)}${path}`, body);
      setDone(message);
      users.reload();
    });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const ok = await invite.run(() => call(session.token, 'POST', '/api/v1/users', { email, role }));
    if (ok) {
      setDone(`Invited ${email} as ${role}.`);
      setEmail('');
      users.reload();
    }
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users and roles</h1>
      <p className="hint">
        A new role is in the user’s next token; tokens already issued keep the old one until they expire.
      </p>
      <RequestStatus loading={users.loading} error={users.error} />
      <ActionStatus action={act} busyText="Working…" />
      <SuccessMessage message={done} />
      <PageTable
        page={users.data}
        noun="users"
        rowKey={(u) => u.id}
        empty="No user."
        columns={[
          { header: 'Email', rowHeader: true, cell: (u) => u.email ?? u.id },
          {
            header: 'Role',
            cell: (u) =>
              mayUpdate ? (
                <RoleCell
                  key={u.role}
                  user={u}
                  busy={act.busy}
                  onApply={(next) =>
                    change(u, '/role', 'PUT', { role: next }, `${u.email ?? u.id} is now ${next}.`)
                  }
                />
              ) : (
                (u.role ?? 'none')
              ),
          },
          { header: 'Status', cell: (u) => `${u.status}${u.enabled ? '' : ' (disabled)'}` },
          { header: 'Created', cell: (u) => when(u.createdAt) },
          ...(mayUpdate
            ? [
                {
                  header: 'Access',
                  cell: (u: User) => (
                    <button
                      type="button"
                      className={u.enabled ? 'danger' : undefined}
                      disabled={act.busy}
                      aria-label={`${u.enabled ? 'Disable' : 'Enable'} ${u.email ?? u.id}`}
                      onClick={() =>
                        change(
                          u,
                          u.enabled ? '/disable' : '/enable',
                          'POST',
                          undefined,
                          `${u.email ?? u.id} is ${u.enabled ? 'disabled' : 'enabled'}.`,
                        )
                      }
                    >
                      {u.enabled ? 'Disable' : 'Enable'}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {mayCreate ? (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="invite-title" className="panel">
          <h2 id="invite-title">Invite a user</h2>
          <fieldset disabled={invite.busy} className="plain row">
            <label>
              Email
              <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label>
              Role
              <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <button type="submit" className="primary">
              Invite
            </button>
          </fieldset>
          <ActionStatus action={invite} busyText="Inviting…" />
        </form>
      ) : null}
    </section>
  );
}
