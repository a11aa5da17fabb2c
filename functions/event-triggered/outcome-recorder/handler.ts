import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient, snsClient } from '../../shared/lambda-clients.ts';
import { rotationStores } from '../../shared/rotation-stores.ts';
import { recordOutcome } from './outcome-recorder.ts';

export const { handler, createHandler } = defineFunction('outcome-recorder', {
  clients: { db: dynamoDbClient, sns: snsClient, iot: iotClient },
  build: ({ db, sns, iot, tableName, campaignTableName, ...settings }, runtime) => {
    const stores = rotationStores(db, tableName, campaignTableName);
    return (event) =>
      recordOutcome(event, {
        ...stores,
        sns,
        iot,
        ...runtime,
        stateMachineArn: settings.stateMachineArn,
        escalationTopicArn: settings.escalationTopicArn,
        retentionSeconds: settings.retentionSeconds,
      });
  },
});
