import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, sfnClient } from '../../shared/lambda-clients.ts';
import { rotationStores } from '../../shared/rotation-stores.ts';
import { handleDeviceReply } from './device-reply.ts';

export const { handler, createHandler } = defineFunction('device-reply', {
  clients: { db: dynamoDbClient, sfn: sfnClient },
  build: ({ db, sfn, tableName, campaignTableName, acceptMissingRotationId }, runtime) => {
    const stores = rotationStores(db, tableName, campaignTableName);
    return (event) =>
      handleDeviceReply(event, {
        ...stores,
        sfn,
        ...runtime,
        acceptMissingRotationId,
      });
  },
});
