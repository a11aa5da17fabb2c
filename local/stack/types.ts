/**
 * What a running local AWS offers the CLI, the main job and the tests: each service's endpoint and the
 * resources `recert local up` created, as the stack's outputs give them on AWS.
 */
export interface LocalEndpoints {
  /** http://127.0.0.1:port of the Step Functions API (awsJson1_0). */
  readonly stepFunctions: string;
  /** http://127.0.0.1:port of the IoT control plane (restJson1). */
  readonly iot: string;
  /** http://127.0.0.1:port of the IoT data plane (restJson1). */
  readonly iotData: string;
  /** http://127.0.0.1:port of DynamoDB. */
  readonly dynamodb: string;
  /** http://127.0.0.1:port of SNS (awsQuery). */
  readonly sns: string;
  /** http://127.0.0.1:port of EventBridge (awsJson1_1). */
  readonly eventBridge: string;
  /** http://127.0.0.1:port of the local ACM Private CA (awsJson1_1), when the stack runs one. */
  readonly acmPca?: string | undefined;
  /** MQTT over mutual TLS. */
  readonly mqtt: { readonly host: string; readonly port: number };
  /** PEM file of the root CA that signs the broker's server certificate: devices trust it. */
  readonly rootCaPath: string;
}

/** The same names the CDK stack exports as outputs. */
export interface LocalResources {
  readonly region: string;
  readonly accountId: string;
  readonly stateMachineArn: string;
  readonly rotationTableName: string;
  readonly escalationTopicArn: string;
  readonly auditTopicArn: string;
  readonly devicePolicyName: string;
}

/**
 * The campaign state machine and table in the manifest; optional to readers, as a manifest written before
 * campaigns existed has neither.
 */
export interface LocalCampaignResources {
  readonly campaignStateMachineArn: string;
  readonly campaignTableName: string;
}

/** Written to `<stateDir>/endpoints.json` while the local AWS runs, so other processes find it. */
export interface LocalAwsManifest {
  readonly pid: number;
  readonly startedAt: string;
  /** Clock speed: 1 is real time. */
  readonly clockSpeed: number;
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  /**
   * The operator's credentials for this run of the local AWS: what `recert` signs with, so it is
   * held to the operator policy the CDK stack deploys. Absent in a manifest from an older recert.
   */
  readonly operatorCredentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
}

export const MANIFEST_FILE = 'endpoints.json';
