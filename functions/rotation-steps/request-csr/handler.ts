import { campaignCountersOn } from '../../shared/campaign-counters.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotDataClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { requestCsr } from './request-csr.ts';

export const { handler, createHandler } = defineFunction('request-csr', {
  clients: { db: dynamoDbClient, iotData: iotDataClient },
  build: ({ db, iotData, tableName, campaignTableName }, runtime) => {
    const store = new RotationRecordStore(db, tableName);
    const counting = campaignCountersOn(db, campaignTableName);
    return (input) => requestCsr(input, { store, ...counting, iotData, ...runtime });
  },
});
