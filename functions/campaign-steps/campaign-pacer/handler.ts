import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type Clock, wallClock } from '../../../lib/clock.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { CampaignStore } from '../../shared/campaign-store.ts';
import { dynamoDbClient, numberEnv, type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, reportingOf, wrapHandler } from '../../shared/observability.ts';
import { pace } from './campaign-pacer.ts';

export const DEFAULT_TICK_SECONDS = 60;

export interface PacerHandlerDeps extends Omit<RuntimeOptions, 'clock'> {
  readonly db: DynamoDBClient;
  readonly campaignTableName: string;
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  /** The rotate-device state machine. */
  readonly stateMachineArn: string;
  readonly region: string;
  readonly clock?: Clock;
  /** How long one invocation keeps starting rotations (s). */
  readonly tickSeconds?: number;
  readonly pollMs?: number;
}

export function createHandler(deps: PacerHandlerDeps) {
  const observability = observabilityFor('campaign-pacer', deps);
  const store = new CampaignStore(deps.db, deps.campaignTableName);
  return wrapHandler(observability, async (event, context) =>
    pace(event, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      store,
      iot: deps.iot,
      sfn: deps.sfn,
      clock: deps.clock ?? wallClock,
      ...reportingOf(observability),
      rotationStateMachineArn: deps.stateMachineArn,
      region: deps.region,
      tickMs: (deps.tickSeconds ?? DEFAULT_TICK_SECONDS) * 1000,
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    db: dynamoDbClient(),
    campaignTableName: requiredEnv('CAMPAIGN_TABLE_NAME'),
    iot: withoutCallLogging(new IoTClient(lambdaClientConfig())),
    sfn: withoutCallLogging(new SFNClient(lambdaClientConfig())),
    stateMachineArn: requiredEnv('STATE_MACHINE_ARN'),
    region: requiredEnv('AWS_REGION'),
    tickSeconds: numberEnv('PACER_TICK_SECONDS', DEFAULT_TICK_SECONDS),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
