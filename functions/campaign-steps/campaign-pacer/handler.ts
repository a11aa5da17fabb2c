import { CampaignStore } from '../../shared/campaign-store.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient, sfnClient } from '../../shared/lambda-clients.ts';
import { pace } from './campaign-pacer.ts';

export const { handler, createHandler } = defineFunction('campaign-pacer', {
  clients: { db: dynamoDbClient, iot: iotClient, sfn: sfnClient },
  build: (
    { db, iot, sfn, campaignTableName, stateMachineArn, region, pacerTickSeconds },
    runtime,
    // How often the pacer reads META again while it waits: a run outside Lambda may poll faster.
    { pacerPollMs }: { readonly pacerPollMs?: number },
  ) => {
    const store = new CampaignStore(db, campaignTableName);
    return (event, context) =>
      pace(event, {
        remainingMs: () => context.getRemainingTimeInMillis(),
        store,
        iot,
        sfn,
        ...runtime,
        rotationStateMachineArn: stateMachineArn,
        region,
        tickMs: pacerTickSeconds * 1000,
        ...(pacerPollMs !== undefined ? { pollMs: pacerPollMs } : {}),
      });
  },
});
