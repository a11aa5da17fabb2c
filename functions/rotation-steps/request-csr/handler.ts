import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotDataClient } from '../../shared/lambda-clients.ts';
import { rotationStores } from '../../shared/rotation-stores.ts';
import { requestCsr } from './request-csr.ts';

export const { handler, createHandler } = defineFunction('request-csr', {
  clients: { db: dynamoDbClient, iotData: iotDataClient },
  build: ({ db, iotData, tableName, campaignTableName }, runtime) => {
    const stores = rotationStores(db, tableName, campaignTableName);
    return (input) => requestCsr(input, { ...stores, iotData, ...runtime });
  },
});
