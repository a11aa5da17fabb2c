import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { type Clock, wallClock } from '../../../lib/clock.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignStore } from '../../shared/campaign-store.ts';
import { dynamoDbClient, numberEnv, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, reportingOf, wrapHandler } from '../../shared/observability.ts';
import { enqueue } from './campaign-enqueue.ts';

export const DEFAULT_ENQUEUE_BUDGET_SECONDS = 60;

export interface EnqueueHandlerDeps extends Omit<RuntimeOptions, 'clock'> {
  readonly db: DynamoDBClient;
  readonly campaignTableName: string;
  readonly iot: IoTClient;
  readonly clock?: Clock;
  /** How long one invocation keeps paging (s); the pacer's tick by default. */
  readonly budgetSeconds?: number;
}

export function createHandler(deps: EnqueueHandlerDeps) {
  const observability = observabilityFor('campaign-enqueue', deps);
  const store = new CampaignStore(deps.db, deps.campaignTableName);
  return wrapHandler(observability, async (event, context) =>
    enqueue(event, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      store,
      iot: deps.iot,
      clock: deps.clock ?? wallClock,
      ...reportingOf(observability),
      budgetMs: (deps.budgetSeconds ?? DEFAULT_ENQUEUE_BUDGET_SECONDS) * 1000,
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    budgetSeconds: numberEnv('PACER_TICK_SECONDS', DEFAULT_ENQUEUE_BUDGET_SECONDS),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
