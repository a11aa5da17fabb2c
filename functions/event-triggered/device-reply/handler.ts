import { campaignCountersOn } from '../../shared/campaign-counters.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, sfnClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { handleDeviceReply } from './device-reply.ts';

export const { handler, createHandler } = defineFunction('device-reply', {
  clients: { db: dynamoDbClient, sfn: sfnClient },
  build: ({ db, sfn, tableName, campaignTableName, acceptMissingRotationId }, runtime) => {
    const store = new RotationRecordStore(db, tableName);
    const counting = campaignCountersOn(db, campaignTableName);
    return (event) =>
      handleDeviceReply(event, {
        store,
        ...counting,
        sfn,
        ...runtime,
        acceptMissingRotationId,
      });
  },
});
