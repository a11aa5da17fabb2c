import type { LocalAwsManifest } from '../../../local/stack/types.ts';

// Spread, so the manifest keeps compiling whether or not LocalResources lists them yet.
const CAMPAIGN_RESOURCES = {
  campaignTableName: 'recert-campaigns',
  campaignStateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-campaign',
};

/**
 * A local AWS manifest, as `recert local up` writes it, that names `url` for every HTTP service:
 * for tests where a process (or nothing) stands in for the local AWS.
 */
export function standInManifest(p: {
  pid: number;
  url: string;
  mqttPort: number;
  rootCaPath: string;
  clockSpeed: number;
  startedAt?: string;
}): LocalAwsManifest {
  return {
    pid: p.pid,
    startedAt: p.startedAt ?? new Date().toISOString(),
    clockSpeed: p.clockSpeed,
    endpoints: {
      stepFunctions: p.url,
      iot: p.url,
      iotData: p.url,
      dynamodb: p.url,
      sns: p.url,
      eventBridge: p.url,
      mqtt: { host: '127.0.0.1', port: p.mqttPort },
      rootCaPath: p.rootCaPath,
    },
    resources: {
      region: 'us-east-1',
      accountId: '000000000000',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device',
      rotationTableName: 'recert-rotations',
      escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:e',
      auditTopicArn: 'arn:aws:sns:us-east-1:000000000000:a',
      devicePolicyName: 'recert-device',
      ...CAMPAIGN_RESOURCES,
    },
  };
}
