import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { type Clock, wallClock } from '../../../lib/clock.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { dynamoDbClient, numberEnv, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, reportingOf, wrapHandler } from '../../shared/observability.ts';
import { RetiredCertificates } from './retired-entries.ts';
import { checkSweepSettings, sweepRetiredCertificates } from './sweep.ts';

/** DeleteCertificate calls per second by default: a fifth of AWS's 10 TPS, the rest left to campaigns. */
export const DEFAULT_DELETES_PER_SECOND = 2;
/** A run's time budget by default: the function's 900 s timeout less a minute for the last entry. */
export const DEFAULT_SWEEP_BUDGET_SECONDS = 840;

export interface SweeperHandlerDeps extends Omit<RuntimeOptions, 'clock'> {
  readonly db: DynamoDBClient;
  readonly campaignTableName: string;
  readonly iot: IoTClient;
  readonly clock?: Clock;
  readonly deletesPerSecond?: number;
  readonly budgetSeconds?: number;
}

export function createHandler(deps: SweeperHandlerDeps) {
  const deletesPerSecond = deps.deletesPerSecond ?? DEFAULT_DELETES_PER_SECOND;
  const budgetMs = (deps.budgetSeconds ?? DEFAULT_SWEEP_BUDGET_SECONDS) * 1000;
  // A bad setting fails when the function is built, naming the setting, not at its first run.
  checkSweepSettings(deletesPerSecond, budgetMs);
  const observability = observabilityFor('retired-certificate-sweeper', deps);
  const entries = new RetiredCertificates(deps.db, deps.campaignTableName);
  // The event (EventBridge's scheduled event) carries nothing the run needs.
  return wrapHandler(observability, async (_event, context) =>
    sweepRetiredCertificates({
      entries,
      iot: deps.iot,
      clock: deps.clock ?? wallClock,
      ...reportingOf(observability),
      deletesPerSecond,
      budgetMs,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    deletesPerSecond: numberEnv('SWEEP_DELETES_PER_SECOND', DEFAULT_DELETES_PER_SECOND),
    budgetSeconds: numberEnv('SWEEP_BUDGET_SECONDS', DEFAULT_SWEEP_BUDGET_SECONDS),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
