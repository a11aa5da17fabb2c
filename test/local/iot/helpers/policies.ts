const THING = `\${iot:Connection.Thing.ThingName}`;

/**
 * A device policy looser than recert's strict one: each device may connect as itself and use its
 * whole management subtree (publish, receive, subscribe), and nothing else.
 */
export const MANAGEMENT_SUBTREE_POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/${THING}` },
    {
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: `arn:aws:iot:*:*:topic/management/topic/${THING}/*`,
    },
    {
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: `arn:aws:iot:*:*:topicfilter/management/topic/${THING}/*`,
    },
  ],
});
