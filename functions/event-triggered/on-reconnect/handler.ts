import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotDataClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { resendPending } from './on-reconnect.ts';

export const { handler, createHandler } = defineFunction('on-reconnect', {
  clients: { db: dynamoDbClient, iotData: iotDataClient },
  build: ({ db, iotData, tableName }, { log, counter }) => {
    const store = new RotationRecordStore(db, tableName);
    return (event) => resendPending(event, { store, iotData, log, counter });
  },
});
