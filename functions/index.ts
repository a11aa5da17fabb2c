import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { CAMPAIGN_STATE_MACHINE } from '../workflows/campaign/contract.ts';
import { CAMPAIGN_FUNCTION_IDS, type CampaignFunctionId } from '../workflows/campaign/functions.ts';
import type { PacingSettings } from '../workflows/campaign/pacing.ts';
import { FUNCTION_IDS, type FunctionId } from '../workflows/rotate-device/functions.ts';
import * as campaignEnqueue from './campaign-steps/campaign-enqueue/handler.ts';
import * as campaignPacer from './campaign-steps/campaign-pacer/handler.ts';
import * as auditFanout from './event-triggered/audit-fanout/handler.ts';
import * as deviceReply from './event-triggered/device-reply/handler.ts';
import * as onReconnect from './event-triggered/on-reconnect/handler.ts';
import * as outcomeRecorder from './event-triggered/outcome-recorder/handler.ts';
import * as sweeper from './event-triggered/retired-certificate-sweeper/handler.ts';
import type { AcmPcaSettings } from './rotation-steps/issue-certificate/certificate-issuer.ts';
import * as issueCertificate from './rotation-steps/issue-certificate/handler.ts';
import * as requestCsr from './rotation-steps/request-csr/handler.ts';
import * as retireCertificate from './rotation-steps/retire-certificate/handler.ts';
import * as revokeCertificate from './rotation-steps/revoke-certificate/handler.ts';
import { ConfigurationError, type RuntimeOptions } from './shared/environment.ts';

export { dynamoDbClient } from './shared/environment.ts';
export type { AcmPcaSettings };

export type RotationHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Everything the rotation functions need, for a run outside Lambda (the local stack, tests): their
 * clients, and their settings by the keys the contract gives their environment variables.
 */
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

type LocalRotationDeps = RotationFunctionsDeps & {
  readonly campaignStateMachineArn: string;
  readonly issuerKind?: 'acm-pca';
};

/** Each rotation function's `createHandler`, by its contract id; every one takes the same deps. */
const ROTATION_FUNCTIONS: Readonly<Record<FunctionId, (deps: LocalRotationDeps) => RotationHandler>> = {
  'audit-fanout': auditFanout.createHandler,
  'request-csr': requestCsr.createHandler,
  'issue-certificate': issueCertificate.createHandler,
  'device-reply': deviceReply.createHandler,
  'revoke-certificate': revokeCertificate.createHandler,
  'retire-certificate': retireCertificate.createHandler,
  'on-reconnect': onReconnect.createHandler,
  'outcome-recorder': outcomeRecorder.createHandler,
  'retired-certificate-sweeper': ({ campaignTableName, ...deps }) =>
    campaignTableName
      ? sweeper.createHandler({ ...deps, campaignTableName })
      : // Without the table there is nothing to sweep; a run says so rather than pretending it swept.
        async () => {
          throw new ConfigurationError(
            'the retired-certificate sweeper needs the campaign table (campaignTableName)',
          );
        },
};

/** One handler per function id of the contract, built with the given clients and settings. */
export function createRotationFunctions(deps: RotationFunctionsDeps): Record<FunctionId, RotationHandler> {
  const local: LocalRotationDeps = {
    ...deps,
    campaignStateMachineArn:
      deps.campaignStateMachineArn ?? campaignStateMachineArnBeside(deps.stateMachineArn),
    // A private CA's calls have quotas of their own (RegisterCertificateWithoutCA...): the fan-out paces by them.
    ...(deps.privateCa ? { issuerKind: 'acm-pca' as const } : {}),
  };
  return mapContract(FUNCTION_IDS, (id) => ROTATION_FUNCTIONS[id](local));
}

/** The campaign state machine of the deployment whose rotate-device state machine this is. */
export function campaignStateMachineArnBeside(stateMachineArn: string): string {
  const at = stateMachineArn.lastIndexOf(':');
  return `${stateMachineArn.slice(0, at + 1)}${CAMPAIGN_STATE_MACHINE.name}`;
}

/** Everything the campaign functions need, for a run outside Lambda (the local stack, tests). */
export interface CampaignFunctionsDeps extends RuntimeOptions {
  readonly db: DynamoDBClient;
  readonly campaignTableName: string;
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  /** The rotate-device state machine, whose executions the pacer starts. */
  readonly stateMachineArn: string;
  readonly region: string;
  /** How long one pacer turn (and one enqueue call) lasts, in seconds of the clock (60 by default). */
  readonly pacerTickSeconds?: number;
  /** How often the pacer reads META again while it waits (ms of the clock; 1,000 by default). */
  readonly pacerPollMs?: number;
}

const CAMPAIGN_FUNCTIONS: Readonly<
  Record<CampaignFunctionId, (deps: CampaignFunctionsDeps) => RotationHandler>
> = {
  'campaign-enqueue': campaignEnqueue.createHandler,
  'campaign-pacer': campaignPacer.createHandler,
};

/** One handler per function of the campaign contract. */
export function createCampaignFunctions(
  deps: CampaignFunctionsDeps,
): Record<CampaignFunctionId, RotationHandler> {
  return mapContract(CAMPAIGN_FUNCTION_IDS, (id) => CAMPAIGN_FUNCTIONS[id](deps));
}

function mapContract<Id extends string>(
  ids: readonly Id[],
  build: (id: Id) => RotationHandler,
): Record<Id, RotationHandler> {
  return Object.fromEntries(ids.map((id) => [id, build(id)])) as Record<Id, RotationHandler>;
}
