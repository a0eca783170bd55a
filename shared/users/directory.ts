import type { Role } from '../auth/roles';

/** A user as the identity provider knows them. */
export interface DirectoryUser {
  readonly id: string;
  readonly email: string | null;
  readonly enabled: boolean;
  readonly status: string;
  readonly groups: readonly string[];
  readonly createdAt: string | null;
}

/**
 * The identity provider behind the Users API: Cognito in AWS (cognito-directory.ts), a file-backed directory
 * on the local platform (local-directory.ts). Both pass the same contract tests.
 */
export interface UserDirectory {
  list(): Promise<DirectoryUser[]>;
  get(id: string): Promise<DirectoryUser | null>;
  /** Creates the user (Cognito sends the invitation) in the group of `role`. Null if the email is taken. */
  create(email: string, role: Role): Promise<DirectoryUser | null>;
  /** Puts the user in exactly one of the four role groups (none for null); other groups are left alone. */
  setRole(id: string, role: Role | null): Promise<void>;
  setEnabled(id: string, enabled: boolean): Promise<void>;
  /** Only to undo a creation whose audit entry could not be written. */
  remove(id: string): Promise<void>;
}
