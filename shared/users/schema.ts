import * as z from 'zod';
import { ROLES } from '../auth/roles';

export const currentUserSchema = z
  .object({
    sub: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    role: z
      .enum(ROLES)
      .nullable()
      .describe('Strongest role among the caller’s Cognito groups; null when none'),
    groups: z.array(z.string()),
  })
  .meta({ id: 'CurrentUser' });
export type CurrentUser = z.infer<typeof currentUserSchema>;

export const userSchema = z
  .object({
    id: z.string().describe('Cognito username (the sub for email sign-in pools)'),
    email: z.string().nullable(),
    enabled: z.boolean(),
    status: z.string().describe('Cognito user status, e.g. CONFIRMED, FORCE_CHANGE_PASSWORD'),
    role: z.enum(ROLES).nullable(),
    groups: z.array(z.string()),
    createdAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

export const userIdParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u, 'must be a Cognito username (no spaces or control characters)'),
});

export const setRoleBodySchema = z.strictObject({ role: z.enum(ROLES) }).meta({ id: 'SetRole' });

export const createUserBodySchema = z
  .strictObject({
    email: z.email().max(254),
    role: z.enum(ROLES),
  })
  .meta({ id: 'CreateUser' });
