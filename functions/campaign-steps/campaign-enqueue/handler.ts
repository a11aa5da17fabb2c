import { CampaignStore } from '../../shared/campaign-store.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient } from '../../shared/lambda-clients.ts';
import { enqueue } from './campaign-enqueue.ts';

export const { handler, createHandler } = defineFunction('campaign-enqueue', {
  clients: { db: dynamoDbClient, iot: iotClient },
  // One invocation keeps paging for as long as a pacer turn lasts.
  build: ({ db, iot, campaignTableName, pacerTickSeconds }, runtime) => {
    const store = new CampaignStore(db, campaignTableName);
    return (event, context) =>
      enqueue(event, {
        remainingMs: () => context.getRemainingTimeInMillis(),
        store,
        iot,
        ...runtime,
        budgetMs: pacerTickSeconds * 1000,
      });
  },
});
