import { z } from 'zod';
import { auditEnvSchema } from '../env';

/** Cognito in AWS; the local platform's file-backed directory under `npm start`. */
export const usersEnvSchema = z
  .discriminatedUnion('USER_DIRECTORY', [
    z.object({ USER_DIRECTORY: z.literal('cognito'), USER_POOL_ID: z.string().min(1) }),
    z.object({ USER_DIRECTORY: z.literal('local'), LOCAL_USER_DIRECTORY_FILE: z.string().min(1) }),
  ])
  .and(auditEnvSchema);
