/**
 * What the local services do with the roles they were given: a state machine's integrations call with
 * its role, and Device Defender publishes with its notification role.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { namedError } from '../../lib/named-error.ts';
import { authorizeInternal } from '../iam/guard.ts';
import { ISSUED_KEY_PREFIX } from '../iam/identities.ts';
import type { InvokeCaller } from '../iam/types.ts';
import type { Integrations } from '../stepfunctions/integrations.ts';
import type { LocalIdentities } from './identities.ts';

/**
 * The clients a state machine's role calls DynamoDB, SNS and EventBridge with, and its identity to Lambda; a
 * role nobody defined has no session, so its calls are refused, as Step Functions could not assume it.
 */
export function roleIntegrations(
  identities: LocalIdentities,
  roleArn: string,
  region: string,
  dynamodbUrl: string,
  eventsUrl: string,
): Integrations {
  const principal = identities.principalOfRole(roleArn);
  const credentials = identities.credentialsOfRole(roleArn) ?? UNKNOWN_ROLE_CREDENTIALS;
  const lambdaCaller: InvokeCaller = {
    kind: 'principal',
    principal: principal ?? { arn: roleArn, policies: [], administrator: false },
  };
  return {
    lambdaCaller,
    dynamodb: new DynamoDBClient({ region, credentials, endpoint: dynamodbUrl }),
    sns: new SNSClient({ region, credentials, endpoint: eventsUrl }),
    eventbridge: new EventBridgeClient({ region, credentials, endpoint: eventsUrl }),
  };
}

/** An issued-looking key the store does not know: every call with it is UnrecognizedClient. */
const UNKNOWN_ROLE_CREDENTIALS = { accessKeyId: `${ISSUED_KEY_PREFIX}UNKNOWNROLE`, secretAccessKey: 'none' };

/** Device Defender could not publish an audit notification with the role it was given. */
export class AuditNotificationRefusedError extends namedError('AuditNotificationRefusedError') {}

/** Why the notification role may not publish to the target (undefined: it may). */
export function publishAllowed(
  identities: LocalIdentities,
  targetArn: string,
  roleArn: string | undefined,
): string | undefined {
  const principal = roleArn === undefined ? undefined : identities.principalOfRole(roleArn);
  if (!principal) return `Device Defender cannot assume the notification role ${roleArn ?? '(none)'}`;
  const refusal = authorizeInternal(
    identities.store,
    principal,
    [{ action: 'sns:Publish', resource: targetArn, context: {} }],
    'sns',
  );
  return refusal?.message;
}
