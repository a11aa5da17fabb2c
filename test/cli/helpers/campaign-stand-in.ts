import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { META_ENTRY } from '../../../workflows/campaign/table.ts';

export class StandInCampaignStopped extends Error {
  // The name the real pacer fails with (workflows/campaign/errors.ts).
  override readonly name = 'RecertCampaignStopped';
}

/**
 * A stand-in for the campaign state machine, small enough to steer from a test: one `Pace` step
 * that fails with RecertCampaignStopped (the stop reason as cause) while META says STOPPED, as the
 * real pacer does, and ends otherwise. The real campaign workflow is covered by its own tests; here
 * the CLI stops, resumes and redrives real executions on the local Step Functions engine.
 */
export function registerCampaignStandIn(p: {
  functions: FunctionRegistry;
  db: DynamoDBDocumentClient;
  tableName: string;
}): object {
  const pace = p.functions.register('cli-test-campaign-pace', async (event) => {
    const campaignId =
      typeof event === 'object' && event !== null && 'campaignId' in event ? event.campaignId : undefined;
    if (typeof campaignId !== 'string') throw new TypeError('pace: no campaignId');
    const out = await p.db.send(
      new GetCommand({
        TableName: p.tableName,
        Key: { campaignId, entry: META_ENTRY },
        ConsistentRead: true,
      }),
    );
    const meta = out.Item;
    if (meta?.status === 'STOPPED') throw new StandInCampaignStopped(String(meta.stopReason ?? 'stopped'));
    return { result: 'done' };
  });
  return {
    Comment: 'Stand-in for recert-campaign in CLI tests',
    StartAt: 'Hold',
    States: {
      // An execution given `"hold": true` stays RUNNING (a pacer between two turns).
      Hold: {
        Type: 'Choice',
        Choices: [{ Variable: '$.hold', IsPresent: true, Next: 'Wait' }],
        Default: 'Pace',
      },
      Wait: { Type: 'Wait', Seconds: 3600, Next: 'Pace' },
      Pace: {
        Type: 'Task',
        Resource: pace.arn,
        Parameters: { 'campaignId.$': '$.campaignId' },
        End: true,
      },
    },
  };
}
