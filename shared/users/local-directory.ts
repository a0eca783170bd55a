import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLES, type Role } from '../auth/roles';
import type { DirectoryUser, UserDirectory } from './directory';

interface DirectoryFile {
  users: DirectoryUser[];
}

/** `LOCAL_USER_DIRECTORY_FILE` of this form keeps the users in this process's memory (`npm start -- --memory`). */
export const IN_MEMORY_DIRECTORY_PREFIX = 'memory:';

/**
 * In-memory directories by name, on globalThis: the platform's token issuer and the users function (loaded
 * from its own bundle, so with its own copy of this module) run in one process and must see the same users.
 */
function memoryDirectories(): Map<string, DirectoryFile> {
  const holder = globalThis as { __switchyardLocalDirectories?: Map<string, DirectoryFile> };
  holder.__switchyardLocalDirectories ??= new Map();
  return holder.__switchyardLocalDirectories;
}

/** Forget an in-memory directory (its platform has stopped). */
export function dropInMemoryDirectory(file: string): void {
  if (file.startsWith(IN_MEMORY_DIRECTORY_PREFIX)) {
    memoryDirectories().delete(file.slice(IN_MEMORY_DIRECTORY_PREFIX.length));
  }
}

/**
 * The local platform's identity provider: users in a JSON file next to the token signing key, shared by
 * `npm start` and `npm run token` (which signs in as one of them), or in memory for a throwaway platform
 * (`memory:<name>`). It stands in for Cognito, not for a database, and passes the same contract tests as
 * CognitoDirectory. Writes go to a temporary file that is renamed over the old one, so a reader never sees
 * half a file.
 */
export class LocalDirectory implements UserDirectory {
  constructor(private readonly file: string) {}

  private get memoryName(): string | null {
    return this.file.startsWith(IN_MEMORY_DIRECTORY_PREFIX)
      ? this.file.slice(IN_MEMORY_DIRECTORY_PREFIX.length)
      : null;
  }

  private read(): DirectoryFile {
    const name = this.memoryName;
    if (name !== null) return structuredClone(memoryDirectories().get(name) ?? { users: [] });
    if (!existsSync(this.file)) return { users: [] };
    return JSON.parse(readFileSync(this.file, 'utf8')) as DirectoryFile;
  }

  private write(data: DirectoryFile): void {
    const name = this.memoryName;
    if (name !== null) {
      memoryDirectories().set(name, structuredClone(data));
      return;
    }
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
