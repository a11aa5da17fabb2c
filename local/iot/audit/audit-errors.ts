/** Device Defender's refusals, which the audit routes turn into AWS's errors. */
export class AuditInvalidRequestError extends Error {
  override readonly name = 'AuditInvalidRequestError';
}
export class AuditNotFoundError extends Error {
  override readonly name = 'AuditNotFoundError';
}
export class AuditAlreadyExistsError extends Error {
  override readonly name = 'AuditAlreadyExistsError';
}
