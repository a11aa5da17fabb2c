import { campaignCountersOn } from '../../shared/campaign-counters.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient, snsClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { recordOutcome } from './outcome-recorder.ts';

export const { handler, createHandler } = defineFunction('outcome-recorder', {
  clients: { db: dynamoDbClient, sns: snsClient, iot: iotClient },
  build: ({ db, sns, iot, tableName, campaignTableName, ...settings }, runtime) => {
    const store = new RotationRecordStore(db, tableName);
    const counting = campaignCountersOn(db, campaignTableName);
    return (event) =>
      recordOutcome(event, {
        store,
        ...counting,
        sns,
        iot,
        ...runtime,
        stateMachineArn: settings.stateMachineArn,
        escalationTopicArn: settings.escalationTopicArn,
        retentionSeconds: settings.retentionSeconds,
      });
  },
});
