import { CLOUD_TO_DEVICE, DEVICE_TO_CLOUD, TOPIC_PREFIX } from './protocol.ts';

/**
 * The least-privilege IoT policy of a recert device, deployed by the stack and created by the local AWS.
 * `${iot:Connection.Thing.ThingName}` is an IoT policy variable AWS IoT resolves, not a placeholder.
 */

export const DEVICE_POLICY_NAME = 'recert-device';
// Written with a template escape: it is an IoT policy variable, kept literally.
export const THING_NAME_VARIABLE = `\${iot:Connection.Thing.ThingName}`;

export interface PolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string;
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export function devicePolicyDocument(partition: string, region: string, account: string): PolicyDocument {
  const iot = `arn:${partition}:iot:${region}:${account}`;
  const own = `${TOPIC_PREFIX}/${THING_NAME_VARIABLE}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: [`${iot}:client/${THING_NAME_VARIABLE}`],
        // Without this, a certificate could connect under the name of a thing it is not attached to.
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: DEVICE_TO_CLOUD.map((kind) => `${iot}:topic/${own}/${kind}`),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        // The agent subscribes to `<prefix>/<thing>/+` (a policy matches `+` literally in a topic
        // filter); devices built for the blog flow subscribe to each topic. Receive still admits
        // only what the cloud sends.
        Resource: [
          `${iot}:topicfilter/${own}/+`,
          ...CLOUD_TO_DEVICE.map((kind) => `${iot}:topicfilter/${own}/${kind}`),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: CLOUD_TO_DEVICE.map((kind) => `${iot}:topic/${own}/${kind}`),
      },
    ],
  };
}
