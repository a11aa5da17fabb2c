import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { lambdaClientConfig, withoutCallLogging } from '../../lib/aws/client-config.ts';

/**
 * The SDK clients a function builds on Lambda, one factory each: a handler names the ones it
 * needs, and its bundle holds only those (the SDK's packages are free of side effects).
 */

/** Endpoints the environment gives, for the clients that do not find theirs from the region. */
export interface ClientEndpoints {
  readonly iotData?: string;
}

export type ClientFactory<T> = (endpoints: ClientEndpoints) => T;

/** The DynamoDB client every function's stores use, with its middleware cached. */
export const dynamoDbClient = (): DynamoDBClient =>
  withoutCallLogging(new DynamoDBClient(lambdaClientConfig()));

export const iotClient = (): IoTClient => withoutCallLogging(new IoTClient(lambdaClientConfig()));

export const sfnClient = (): SFNClient => withoutCallLogging(new SFNClient(lambdaClientConfig()));

export const snsClient = (): SNSClient => withoutCallLogging(new SNSClient(lambdaClientConfig()));

export const acmPcaClient = (): ACMPCAClient => withoutCallLogging(new ACMPCAClient(lambdaClientConfig()));

/** The IoT data plane has an endpoint of its own per account (iot:Data-ATS). */
export const iotDataClient: ClientFactory<IoTDataPlaneClient> = (endpoints) => {
  if (!endpoints.iotData) throw new Error('the IoT data plane client needs the IoT data endpoint');
  return withoutCallLogging(new IoTDataPlaneClient({ ...lambdaClientConfig(), endpoint: endpoints.iotData }));
};
