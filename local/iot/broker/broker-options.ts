/** The broker's options, AWS IoT's limits it enforces, and the errors it raises. */

import type { AuthenticateError } from 'aedes';
import type { Clock } from '../../../lib/clock.ts';
import { namedError } from '../../../lib/named-error.ts';
import type { ApiQuotas } from '../quotas/api-quotas.ts';
import type { Partition } from '../registry/arns.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';

/** AWS IoT's message payload limit (128 KB, AWS's KB being 1,024 bytes), for every publish. */
export const MAX_MQTT_PAYLOAD_BYTES = 128 * 1024;
/** What AWS IoT reports for a publish over the limit (the disconnect reason is CLIENT_ERROR). */
export const PAYLOAD_LIMIT_EXCEEDED =
  'PAYLOAD_LIMIT_EXCEEDED: Message payload exceeds size limit for message type';
/** AWS IoT keeps a disconnected persistent session (and its queued QoS 1 messages) for an hour by default. */
export const DEFAULT_PERSISTENT_SESSION_EXPIRY_MS = 60 * 60 * 1000;

export interface MqttBrokerOptions {
  readonly registry: IotRegistry;
  readonly clock: Clock;
  readonly partition: Partition;
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
  /** How long a disconnected persistent session survives, on the shared clock. */
  readonly persistentSessionExpiryMs?: number;
  /** Where persistent sessions are kept while the broker is stopped; none: they end with it. */
  readonly sessionFile?: string;
  /** AWS's CONNECT rate quotas, when enabled. */
  readonly quotas?: ApiQuotas;
  /** Why a connection was refused or cut off, for logs and tests. */
  readonly onDenied?: (event: { clientId: string; certificateId?: string; reason: string }) => void;
}

export class NotAuthorizedError extends namedError('NotAuthorizedError') implements AuthenticateError {
  readonly returnCode = 5;
}

export class PolicyDeniedError extends namedError('PolicyDeniedError') {}

export class InvalidTopicError extends namedError('InvalidTopicError') {}

/** A publish by the service itself (a rule's republish) over AWS IoT's payload limit. */
export class PayloadTooLargeError extends namedError('PayloadTooLargeError') {}
