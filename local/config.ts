/**
 * Where the local AWS lives: one account, one region, loopback only, and the default ports.
 * Every local service binds to LOCAL_HOST; nothing listens on another interface.
 */
export const LOCAL_HOST = '127.0.0.1';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
export const DEFAULT_STATE_DIR = '.recert';

export const DEFAULT_PORTS = {
  /** Step Functions API (awsJson1_0). */
  stepFunctions: 4583,
  /** IoT control plane and IoT data plane (restJson1), one HTTP server. */
  iot: 4584,
  /** MQTT over mutual TLS. */
  mqtt: 8883,
  /** DynamoDB (a real local DynamoDB server). */
  dynamodb: 4585,
  /** SNS (awsQuery) and EventBridge (awsJson1_1) glue. */
  events: 4586,
} as const;

/** Credentials the local services accept; the SDK needs some to sign with. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'recert-local', secretAccessKey: 'recert-local' } as const;
