/**
 * The IoT policy a recert device needs: connect with its thing name as client id (only while its
 * certificate is attached to that thing), and use only its own management topics.
 */
export const DEVICE_POLICY_NAME = 'recert-device';

export function devicePolicyDocument(): string {
  // A policy variable, substituted by IoT Core when it evaluates the policy.
  const thing = `\${iot:Connection.Thing.ThingName}`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/${thing}` },
      {
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: `arn:aws:iot:*:*:topic/management/topic/${thing}/*`,
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: `arn:aws:iot:*:*:topicfilter/management/topic/${thing}/*`,
      },
    ],
  });
}
