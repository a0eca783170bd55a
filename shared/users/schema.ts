import { z } from 'zod';
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
