import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { clockOf, type TimeSource } from '../lib/clock.ts';
import { CAMPAIGN_STATE_MACHINE } from '../workflows/campaign/contract.ts';
import type { CampaignFunctionId } from '../workflows/campaign/functions.ts';
import { derivePacing, type PacingSettings } from '../workflows/campaign/pacing.ts';
import type { FunctionId } from '../workflows/rotate-device/functions.ts';
import { createHandler as campaignEnqueue } from './campaign-steps/campaign-enqueue/handler.ts';
import { createHandler as campaignPacer } from './campaign-steps/campaign-pacer/handler.ts';
import { createHandler as auditFanout } from './event-triggered/audit-fanout/handler.ts';
import { createHandler as deviceReply } from './event-triggered/device-reply/handler.ts';
import { createHandler as onReconnect } from './event-triggered/on-reconnect/handler.ts';
import { createHandler as outcomeRecorder } from './event-triggered/outcome-recorder/handler.ts';
import { createHandler as retiredCertificateSweeper } from './event-triggered/retired-certificate-sweeper/handler.ts';
import { AcmPcaIssuer, type AcmPcaSettings } from './rotation-steps/issue-certificate/certificate-issuer.ts';
import { createHandler as issueCertificate } from './rotation-steps/issue-certificate/handler.ts';
import { createHandler as requestCsr } from './rotation-steps/request-csr/handler.ts';
import { createHandler as retireCertificate } from './rotation-steps/retire-certificate/handler.ts';
import { createHandler as revokeCertificate } from './rotation-steps/revoke-certificate/handler.ts';
import { ConfigurationError, type RuntimeOptions } from './shared/environment.ts';

export { dynamoDbClient } from './shared/environment.ts';

export type RotationHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Everything the rotation functions need, for a run outside Lambda (the local stack, tests). */
export interface RotationFunctionsDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly tableName: string;
  readonly iot: IoTClient;
  readonly iotData: IoTDataPlaneClient;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly stateMachineArn: string;
  readonly escalationTopicArn: string;
  readonly region: string;
  readonly accountId?: string;
  readonly checkNames?: readonly string[];
  /** The campaign state machine the audit fan-out starts; named from the contract by default. */
  readonly campaignStateMachineArn?: string;
  /** The campaign table whose counters the rotations move; none counts nothing. */
  readonly campaignTableName?: string;
  /** The pacing the fan-out gives each audit's campaign; derived from AWS's default quotas by default. */
  readonly pacing?: PacingSettings;
  /**
   * An ACM Private CA signs the new certificates (with its client), as `CERTIFICATE_ISSUER=acm-pca`
   * chooses on AWS; AWS IoT's CA otherwise.
   */
  readonly privateCa?: { readonly settings: AcmPcaSettings; readonly pca: ACMPCAClient };
  readonly requireCnMatch?: boolean;
  readonly acceptMissingRotationId?: boolean;
  readonly graceDays?: number;
  readonly retentionSeconds?: number;
  /** The retired-certificate sweeper's DeleteCertificate rate (2 per second by default). */
  readonly sweepDeletesPerSecond?: number;
  /** How long one sweeper run lasts at most, in seconds of the clock (840 by default). */
  readonly sweepBudgetSeconds?: number;
}

/** One handler per function id of the contract, built with the given clients and settings. */
export function createRotationFunctions(deps: RotationFunctionsDeps): Record<FunctionId, RotationHandler> {
  const runtime: RuntimeOptions = {
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metricsNamespace ? { metricsNamespace: deps.metricsNamespace } : {}),
  };
  const table = { ...runtime, db: deps.db, tableName: deps.tableName };
  const counted = deps.campaignTableName ? { campaignTableName: deps.campaignTableName } : {};
  return {
    'audit-fanout': auditFanout({
      ...runtime,
      sfn: deps.sfn,
      campaignStateMachineArn:
        deps.campaignStateMachineArn ?? campaignStateMachineArnBeside(deps.stateMachineArn),
      ...(deps.checkNames ? { checkNames: deps.checkNames } : {}),
      ...(deps.pacing
        ? { pacing: deps.pacing }
        : deps.privateCa
          ? // A private CA's calls have quotas of their own (RegisterCertificateWithoutCA...).
            { pacing: derivePacing({ issuer: 'acm-pca' }) }
          : {}),
    }),
    'request-csr': requestCsr({ ...table, ...counted, iotData: deps.iotData }),
    'issue-certificate': issueCertificate({
      ...table,
      iot: deps.iot,
      iotData: deps.iotData,
      ...(deps.privateCa
        ? { issuer: new AcmPcaIssuer(deps.privateCa.settings, { pca: deps.privateCa.pca, iot: deps.iot }) }
        : {}),
      ...(deps.requireCnMatch !== undefined ? { requireCnMatch: deps.requireCnMatch } : {}),
    }),
    'device-reply': deviceReply({
      ...table,
      ...counted,
      sfn: deps.sfn,
      ...(deps.acceptMissingRotationId !== undefined
        ? { acceptMissingRotationId: deps.acceptMissingRotationId }
        : {}),
    }),
    'revoke-certificate': revokeCertificate({ ...table, iot: deps.iot }),
    'retire-certificate': retireCertificate({
      ...table,
      ...counted,
      iot: deps.iot,
      ...(deps.graceDays !== undefined ? { graceDays: deps.graceDays } : {}),
    }),
    'on-reconnect': onReconnect({ ...table, iotData: deps.iotData }),
    'outcome-recorder': outcomeRecorder({
      ...table,
      ...counted,
      sns: deps.sns,
      iot: deps.iot,
      stateMachineArn: deps.stateMachineArn,
      escalationTopicArn: deps.escalationTopicArn,
      ...(deps.retentionSeconds !== undefined ? { retentionSeconds: deps.retentionSeconds } : {}),
    }),
    'retired-certificate-sweeper': sweeperOf(deps, runtime),
  };
}

function sweeperOf(deps: RotationFunctionsDeps, runtime: RuntimeOptions): RotationHandler {
  const campaignTableName = deps.campaignTableName;
  if (!campaignTableName) {
    // Without the table there is nothing to sweep; a run says so rather than pretending it swept.
    return async () => {
      throw new ConfigurationError(
        'the retired-certificate sweeper needs the campaign table (campaignTableName)',
      );
    };
  }
  return retiredCertificateSweeper({
    ...(runtime.logLevel ? { logLevel: runtime.logLevel } : {}),
    ...(runtime.metricsNamespace ? { metricsNamespace: runtime.metricsNamespace } : {}),
    db: deps.db,
    campaignTableName,
    iot: deps.iot,
    clock: clockOf(deps.clock),
    ...(deps.sweepDeletesPerSecond !== undefined ? { deletesPerSecond: deps.sweepDeletesPerSecond } : {}),
    ...(deps.sweepBudgetSeconds !== undefined ? { budgetSeconds: deps.sweepBudgetSeconds } : {}),
  });
}

/** The campaign state machine of the deployment whose rotate-device state machine this is. */
export function campaignStateMachineArnBeside(stateMachineArn: string): string {
  const at = stateMachineArn.lastIndexOf(':');
  return `${stateMachineArn.slice(0, at + 1)}${CAMPAIGN_STATE_MACHINE.name}`;
}

/** Everything the campaign functions need, for a run outside Lambda (the local stack, tests). */
export interface CampaignFunctionsDeps extends Omit<RuntimeOptions, 'clock'> {
  readonly db: DynamoDBClient;
  readonly campaignTableName: string;
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  /** The rotate-device state machine, whose executions the pacer starts. */
  readonly stateMachineArn: string;
  readonly region: string;
  /** The clock the pacer paces on; one without timers is paced on wall time. */
  readonly clock?: TimeSource;
  /** How long one pacer turn (and one enqueue call) lasts, in seconds of that clock (60 by default). */
  readonly pacerTickSeconds?: number;
  /** How often the pacer reads META again while it waits (ms of that clock; 1,000 by default). */
  readonly pacerPollMs?: number;
}

/** One handler per function of the campaign contract. */
export function createCampaignFunctions(
  deps: CampaignFunctionsDeps,
): Record<CampaignFunctionId, RotationHandler> {
  const common = {
    db: deps.db,
    campaignTableName: deps.campaignTableName,
    iot: deps.iot,
    clock: clockOf(deps.clock),
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metricsNamespace ? { metricsNamespace: deps.metricsNamespace } : {}),
  };
  return {
    'campaign-enqueue': campaignEnqueue({
      ...common,
      ...(deps.pacerTickSeconds !== undefined ? { budgetSeconds: deps.pacerTickSeconds } : {}),
    }),
    'campaign-pacer': campaignPacer({
      ...common,
      sfn: deps.sfn,
      stateMachineArn: deps.stateMachineArn,
      region: deps.region,
      ...(deps.pacerTickSeconds !== undefined ? { tickSeconds: deps.pacerTickSeconds } : {}),
      ...(deps.pacerPollMs !== undefined ? { pollMs: deps.pacerPollMs } : {}),
    }),
  };
}
