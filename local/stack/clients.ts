import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/environment.ts';
import { LOCAL_CREDENTIALS } from '../config.ts';
import type { LocalEndpoints } from './types.ts';

/** The official SDK clients, pointed at the local endpoints: what the functions and the CLI use. */
export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly iot: IoTClient;
  readonly iotData: IoTDataPlaneClient;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
}

export function localClients(endpoints: LocalEndpoints, region: string): LocalClients {
  // The local services are fast and loopback is reliable: a throttled call is retried by the caller's
  // own policy (the state machine's Retry), as on AWS; the SDK's default of 3 attempts stays.
  const common = { region, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  return {
    dynamodb,
    documents: documentClient(dynamodb),
    iot: new IoTClient({ ...common, endpoint: endpoints.iot }),
    iotData: new IoTDataPlaneClient({ ...common, endpoint: endpoints.iotData }),
    sfn: new SFNClient({ ...common, endpoint: endpoints.stepFunctions }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
    eventBridge: new EventBridgeClient({ ...common, endpoint: endpoints.eventBridge }),
  };
}

export function destroyClients(clients: LocalClients): void {
  for (const client of Object.values(clients)) {
    if (typeof client === 'object' && client !== null && 'destroy' in client) client.destroy();
  }
}
