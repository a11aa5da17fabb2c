import { defineFunction } from '../../shared/define-function.ts';
import { dynamoDbClient, iotClient } from '../../shared/lambda-clients.ts';
import { RetiredCertificates } from './retired-entries.ts';
import { checkSweepSettings, sweepRetiredCertificates } from './sweep.ts';

export const { handler, createHandler } = defineFunction('retired-certificate-sweeper', {
  clients: { db: dynamoDbClient, iot: iotClient },
  build: ({ db, iot, campaignTableName, sweepDeletesPerSecond, sweepBudgetSeconds }, runtime) => {
    const budgetMs = sweepBudgetSeconds * 1000;
    // A bad setting fails when the function is built, naming the setting, not at its first run.
    checkSweepSettings(sweepDeletesPerSecond, budgetMs);
    const entries = new RetiredCertificates(db, campaignTableName);
    // The event (EventBridge's scheduled event) carries nothing the run needs.
    return (_event, context) =>
      sweepRetiredCertificates({
        entries,
        iot,
        ...runtime,
        deletesPerSecond: sweepDeletesPerSecond,
        budgetMs,
        timeLeftMs: () => context.getRemainingTimeInMillis(),
      });
  },
});
