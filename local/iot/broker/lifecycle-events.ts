/**
 * AWS IoT's lifecycle events: the topics and JSON bodies IoT Core publishes when a client connects
 * or disconnects.
 */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'DUPLICATE_CLIENTID'
  | 'CONNECTION_LOST'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'AUTHORIZATION_FAILURE'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'CLIENT_ERROR';

export interface SessionFacts {
  readonly clientId: string;
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly ipAddress: string;
  readonly versionNumber: number;
}

export const connectedTopic = (clientId: string): string => `$aws/events/presence/connected/${clientId}`;
export const disconnectedTopic = (clientId: string): string =>
  `$aws/events/presence/disconnected/${clientId}`;

export function connectedEvent(session: SessionFacts, timestamp: number): Record<string, unknown> {
  return {
    clientId: session.clientId,
    timestamp,
    eventType: 'connected',
    sessionIdentifier: session.sessionIdentifier,
    principalIdentifier: session.principalIdentifier,
    ipAddress: session.ipAddress,
    versionNumber: session.versionNumber,
  };
}

export function disconnectedEvent(
  session: SessionFacts,
  timestamp: number,
  reason: DisconnectReason,
): Record<string, unknown> {
  return {
    clientId: session.clientId,
    timestamp,
    eventType: 'disconnected',
    clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
    sessionIdentifier: session.sessionIdentifier,
    principalIdentifier: session.principalIdentifier,
    disconnectReason: reason,
    versionNumber: session.versionNumber,
  };
}
