import { DEVICE_TO_CLOUD, TOPIC_PREFIX } from './protocol.ts';

/**
 * The workflow's AWS IoT topic rules (SQL 2016-03-23), kept to the SQL subset the local rules engine
 * implements too: SELECT / FROM / WHERE, comparisons, AND / OR / NOT, and a few functions.
 */

export interface TopicRuleSpec {
  /** Rule names: letters, digits and underscores only. */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  readonly awsIotSqlVersion: '2016-03-23';
  readonly targetFunctionId: 'device-reply' | 'on-reconnect';
}

const replyFilter = DEVICE_TO_CLOUD.map((kind) => `topic(4) = '${kind}'`).join(' OR ');

export const TOPIC_RULES: readonly TopicRuleSpec[] = [
  {
    name: 'recert_device_replies',
    description: 'Device replies of the rotation protocol, with who sent them, to the device-reply function.',
    // The payload's fields are named one by one rather than with `*`: a device must not be able to
    // put its own `clientId` or `principal` into the event next to the ones IoT Core vouches for.
    sql:
      `SELECT rotationId, CSR, error, clientid() AS clientId, principal() AS principal, topic(4) AS kind, ` +
      `timestamp() AS receivedAt FROM '${TOPIC_PREFIX}/+/+' WHERE ${replyFilter}`,
    awsIotSqlVersion: '2016-03-23',
    targetFunctionId: 'device-reply',
  },
  {
    name: 'recert_device_connected',
    description:
      'Lifecycle connected events, so a pending request is sent again as soon as a device is back.',
    sql: `SELECT * FROM '$aws/events/presence/connected/+'`,
    awsIotSqlVersion: '2016-03-23',
    targetFunctionId: 'on-reconnect',
  },
];
