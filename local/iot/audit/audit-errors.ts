import { namedError } from '../../../lib/named-error.ts';

/** Device Defender's refusals, which the audit routes turn into AWS's errors. */
export class AuditInvalidRequestError extends namedError('AuditInvalidRequestError') {}
export class AuditNotFoundError extends namedError('AuditNotFoundError') {}
export class AuditAlreadyExistsError extends namedError('AuditAlreadyExistsError') {}
