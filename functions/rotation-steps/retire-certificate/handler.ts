import { FUNCTIONS } from '../../../workflows/rotate-device/functions.ts';
import { RetiredCertificates } from '../../event-triggered/retired-certificate-sweeper/retired-entries.ts';
import { campaignCountersOn } from '../../shared/campaign-counters.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { ConfigurationError, variableNamed } from '../../shared/environment.ts';
import { dynamoDbClient, iotClient } from '../../shared/lambda-clients.ts';
import { RotationRecordStore } from '../../shared/rotation-record.ts';
import { RotationCompletion } from './complete-rotation.ts';
import { retireOldCertificate } from './retire-certificate.ts';

export const { handler, createHandler } = defineFunction('retire-certificate', {
  clients: { db: dynamoDbClient, iot: iotClient },
  build: ({ db, iot, tableName, campaignTableName, graceDays }, runtime) => {
    if (graceDays > 0 && !campaignTableName) {
      const table = variableNamed(FUNCTIONS['retire-certificate'].environment, 'campaignTableName');
      throw new ConfigurationError(
        `a grace period of ${graceDays} days needs the campaign table (${table}), where the sweeper ` +
          'finds when each kept certificate may be deleted',
      );
    }
    const store = new RotationRecordStore(db, tableName);
    const completion = new RotationCompletion(db, tableName);
    const retired = campaignTableName ? new RetiredCertificates(db, campaignTableName) : undefined;
    const counting = campaignCountersOn(db, campaignTableName);
    return (input) =>
      retireOldCertificate(input, { store, completion, iot, ...runtime, graceDays, retired, ...counting });
  },
});
