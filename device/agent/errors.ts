import { namedError } from '../../lib/named-error.ts';

/** The named failures of the device agent; each has a stable `name` that callers and tests match on. */

export class CredentialMismatchError extends namedError('CredentialMismatchError') {}
export class CertificateRejectedError extends namedError('CertificateRejectedError') {}
export class CredentialStoreError extends namedError('CredentialStoreError') {}
export class JournalCorruptError extends namedError('JournalCorruptError') {}
export class NewCertificateConnectError extends namedError('NewCertificateConnectError') {}
export class AgentStateError extends namedError('AgentStateError') {}
export class AgentTimeoutError extends namedError('AgentTimeoutError') {}
export class MqttConnectError extends namedError('MqttConnectError') {}
