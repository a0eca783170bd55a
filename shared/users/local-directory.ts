import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLES, type Role } from '../auth/roles';
import type { DirectoryUser, UserDirectory } from './directory';

interface DirectoryFile {
  users: DirectoryUser[];
}

/**
 * The local platform's identity provider: users in a JSON file next to the token signing key, shared by
 * `npm start` and `npm run token` (which signs in as one of them). It stands in for Cognito, not for a
 * database, and passes the same contract tests as CognitoDirectory. Writes go to a temporary file that is
 * renamed over the old one, so a reader never sees half a file.
 */
export class LocalDirectory implements UserDirectory {
  constructor(private readonly file: string) {}

  private read(): DirectoryFile {
    if (!existsSync(this.file)) return { users: [] };
    return JSON.parse(readFileSync(this.file, 'utf8')) as DirectoryFile;
  }

  private write(data: DirectoryFile): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify(data, null, 2), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  private update(id: string, change: (user: DirectoryUser) => DirectoryUser): void {
    const data = this.read();
    const index = data.users.findIndex((u) => u.id === id);
    const user = data.users[index];
    if (user === undefined) throw new Error(`No user ${id}`);
    data.users[index] = change(user);
    this.write(data);
  }

  async list(): Promise<DirectoryUser[]> {
    return this.read().users;
  }

  async get(id: string): Promise<DirectoryUser | null> {
    return this.read().users.find((u) => u.id === id) ?? null;
  }

  async findByEmail(email: string): Promise<DirectoryUser | null> {
    const wanted = email.toLowerCase();
    return this.read().users.find((u) => u.email?.toLowerCase() === wanted) ?? null;
  }

  async create(email: string, role: Role, id: string = randomUUID()): Promise<DirectoryUser | null> {
    const data = this.read();
    const wanted = email.toLowerCase();
    if (data.users.some((u) => u.email?.toLowerCase() === wanted || u.id === id)) return null;
    const user: DirectoryUser = {
      id,
      email,
      enabled: true,
      status: 'CONFIRMED',
      groups: [role],
      createdAt: new Date().toISOString(),
    };
    data.users.push(user);
    this.write(data);
    return user;
  }

  async setRole(id: string, role: Role | null): Promise<void> {
    this.update(id, (user) => ({
      ...user,
      groups: [
        ...user.groups.filter((g) => !(ROLES as readonly string[]).includes(g)),
        ...(role === null ? [] : [role]),
      ],
    }));
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    this.update(id, (user) => ({ ...user, enabled }));
  }

  async remove(id: string): Promise<void> {
    const data = this.read();
    this.write({ users: data.users.filter((u) => u.id !== id) });
  }
}
