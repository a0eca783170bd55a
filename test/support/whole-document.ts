import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/db/keys';
import { buildRulesetContent } from '../../shared/rulesets/document';
import { readRulesetConfiguration } from '../../shared/rulesets/publisher';
import { chunkString } from '../../shared/rulesets/repository';
import type { TestDynamo } from './dynamo';

/**
 * Revision `revision` of the config table's configuration as the publisher before entries wrote it: the whole
 * document in chunks under REVISION#N (sk CHUNK#nnnn), and a pointer without a layout. Returns the document.
 */
export async function writeWholeDocument(dynamo: TestDynamo, revision: number): Promise<string> {
  const content = buildRulesetContent(await readRulesetConfiguration(dynamo.doc, dynamo.tableNames.config));
  const body = JSON.stringify({ revision, ...content });
  const chunks = chunkString(body, 1000);
  for (let i = 0; i < chunks.length; i += 25) {
    await dynamo.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [dynamo.tableNames.rulesets]: chunks.slice(i, i + 25).map((data, j) => ({
            PutRequest: {
              Item: {
                pk: keys.rulesets.wholeDocument(revision),
                sk: `CHUNK#${String(i + j).padStart(4, '0')}`,
                data,
              },
            },
          })),
        },
      }),
    );
  }
  await dynamo.doc.send(
    new PutCommand({
      TableName: dynamo.tableNames.rulesets,
      Item: {
        ...keys.rulesets.current,
        revision,
        hash: 'whole-document',
        chunks: chunks.length,
        publishedAt: '2026-01-01T00:00:00.000Z',
      },
    }),
  );
  return body;
}
