/** The named failures of the device agent; each has a stable `name` that callers and tests match on. */

export class CredentialMismatchError extends Error {
  override readonly name = 'CredentialMismatchError';
}

export class CertificateRejectedError extends Error {
  override readonly name = 'CertificateRejectedError';
}

export class CredentialStoreError extends Error {
  override readonly name = 'CredentialStoreError';
}

export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
}

export class NewCertificateConnectError extends Error {
  override readonly name = 'NewCertificateConnectError';
}

export class AgentStateError extends Error {
  override readonly name = 'AgentStateError';
}

export class AgentTimeoutError extends Error {
  override readonly name = 'AgentTimeoutError';
}

export class MqttConnectError extends Error {
  override readonly name = 'MqttConnectError';
}
