import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { EnvOf } from '../environment';
import { CognitoDirectory } from './cognito-directory';
import type { UserDirectory } from './directory';
import { LocalDirectory } from './local-directory';

/** The user directory of the `users` capability: the Cognito user pool in AWS, the local platform's file locally. */
export function userDirectory(env: EnvOf<'users'>): UserDirectory {
  return env.USER_DIRECTORY === 'cognito'
    ? new CognitoDirectory(new CognitoIdentityProviderClient({}), env.USER_POOL_ID)
    : new LocalDirectory(env.LOCAL_USER_DIRECTORY_FILE);
}
