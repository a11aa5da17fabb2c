import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { revokeNewCertificate } from './revoke-certificate.ts';

export const { handler, createHandler } = defineFunction('revoke-certificate', {
  clients: { db: dynamoDbClient, iot: iotClient },
  build: ({ db, iot, tableName }, runtime) => {
    const store = new RotationRecordStore(db, tableName);
    return (input) => revokeNewCertificate(input, { store, iot, ...runtime });
  },
});
