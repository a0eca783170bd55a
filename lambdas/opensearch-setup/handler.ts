import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import * as z from 'zod';
import { parseEnv } from '../../shared/env';
import { createOpenSearchClient } from '../../shared/events/opensearch-client';
import {
  installEventSearch,
  searchSetupPropertiesSchema,
  searchSetupSpec,
} from '../../shared/events/search-setup';
import { logger } from '../../shared/observability';

const env = parseEnv(z.object({ AWS_REGION: z.string().min(1) }));
const sts = new STSClient({ region: env.AWS_REGION });

/**
 * CloudFormation custom resource (through the CDK provider framework) that installs the events' index
 * template, retention policy, writer role mapping, first daily index and alias, and the Dashboards saved
 * objects on the search domain — see `installEventSearch`. Create and Update run the (idempotent) setup;
 * Delete keeps everything: the indices hold the raw event log, and removing the setup must not drop data.
 *
 * Requests are signed as the domain's master user (the search admin role, assumed through the VPC's STS
 * endpoint): only it may write security roles and mappings under fine-grained access control.
 */
export const handler = async (event: CdkCustomResourceEvent): Promise<CdkCustomResourceResponse> => {
  const properties = searchSetupPropertiesSchema.parse(event.ResourceProperties);
  // One setup per domain: a new domain (new URL) is a replacement, after which CloudFormation deletes the old one.
  const physicalResourceId = `switchyard-search-setup:${new URL(properties.DomainUrl).host}`;
  if (event.RequestType === 'Delete') {
    logger.info('search setup deleted; indices, template, policy and dashboards are kept');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  const client = createOpenSearchClient({
    url: properties.DomainUrl,
    sigv4: { region: env.AWS_REGION, credentials: assumedRole(properties.AdminRoleArn) },
    requestTimeoutMs: 30_000,
  });
  const report = await installEventSearch(client, searchSetupSpec(properties));
  logger.info('search setup installed', { requestType: event.RequestType, ...report });
  return {
    PhysicalResourceId: physicalResourceId,
    Data: { Index: report.index, SavedObjectsImported: report.savedObjectsImported },
  };
};

function assumedRole(roleArn: string): AwsCredentialIdentityProvider {
  return async (): Promise<AwsCredentialIdentity> => {
    const { Credentials: credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'switchyard-search-setup',
        DurationSeconds: 900,
      }),
    );
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  };
}
