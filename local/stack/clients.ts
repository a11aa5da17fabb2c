import { Agent } from 'node:http';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaClientConfig, withoutCallLogging } from '../../lib/aws/client-config.ts';
import { LOCAL_CREDENTIALS } from '../config.ts';
import type { LocalEndpoints } from './types.ts';

/** The official SDK clients, pointed at the local endpoints: what the functions and the CLI use. */
export interface LocalClients {
  /** The functions' DynamoDB client (middleware cached, as in Lambda). */
  readonly dynamodb: DynamoDBClient;
  /** For tests and tools that read and write plain values; its own client, which caches nothing. */
  readonly documents: DynamoDBDocumentClient;
  readonly iot: IoTClient;
  readonly iotData: IoTDataPlaneClient;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
  /** Only when the stack runs a private CA (`LocalAwsOptions.privateCa`). */
  readonly pca?: ACMPCAClient;
}

/** Connections each local client may hold open to its service (the SDK's default is 50). */
export const LOCAL_MAX_SOCKETS = 512;

/** Credentials a client signs with: a role session's, or the local defaults (the account's administrator). */
export interface ClientCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function localClients(
  endpoints: LocalEndpoints,
  region: string,
  credentials: ClientCredentials = LOCAL_CREDENTIALS,
): LocalClients {
  // The functions' own retry policy, so local throttles retry as on Lambda. One client per service stands for
  // every execution environment of the fleet: it shares one SDK retry quota (the state machine retries when
  // it runs dry) and may open more than the SDK's 50 connections (local/stack/README.md).
  const local = (endpoint: string) => ({
    ...lambdaClientConfig(),
    region,
    credentials,
    endpoint,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: LOCAL_MAX_SOCKETS }) },
  });
  // The document client refuses a client that caches its middleware.
  const forDocuments = new DynamoDBClient({ ...local(endpoints.dynamodb), cacheMiddleware: false });
  return {
    // Built as the functions build theirs (see lib/aws/client-config.ts).
    dynamodb: withoutCallLogging(new DynamoDBClient(local(endpoints.dynamodb))),
    documents: DynamoDBDocumentClient.from(forDocuments, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    iot: withoutCallLogging(new IoTClient(local(endpoints.iot))),
    iotData: withoutCallLogging(new IoTDataPlaneClient(local(endpoints.iotData))),
    sfn: withoutCallLogging(new SFNClient(local(endpoints.stepFunctions))),
    sns: withoutCallLogging(new SNSClient(local(endpoints.sns))),
    eventBridge: new EventBridgeClient(local(endpoints.eventBridge)),
    ...(endpoints.acmPca ? { pca: withoutCallLogging(new ACMPCAClient(local(endpoints.acmPca))) } : {}),
  };
}

export function destroyClients(clients: LocalClients): void {
  for (const client of Object.values(clients)) {
    if (typeof client === 'object' && client !== null && 'destroy' in client) client.destroy();
  }
}
