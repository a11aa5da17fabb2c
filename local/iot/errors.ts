/**
 * AWS IoT's modelled errors, each with the HTTP status the service model gives it, so the SDK raises
 * an exception of the same name as it would against AWS.
 */
import { RestError } from './interfaces.ts';

type ErrorOptions = { cause?: unknown };

/** A RestError subclass for one modelled error, so callers can still test with `instanceof`. */
function modelledError<Code extends string>(status: number, code: Code) {
  return class extends RestError {
    constructor(message: string, options?: ErrorOptions) {
      super(status, code, message, options);
    }
  };
}

export const ResourceNotFoundException = modelledError(404, 'ResourceNotFoundException');
export const InvalidRequestException = modelledError(400, 'InvalidRequestException');
export const CertificateStateException = modelledError(406, 'CertificateStateException');
export const CertificateValidationException = modelledError(400, 'CertificateValidationException');
export const DeleteConflictException = modelledError(409, 'DeleteConflictException');
export const VersionConflictException = modelledError(409, 'VersionConflictException');
export const MalformedPolicyException = modelledError(400, 'MalformedPolicyException');
export const ThrottlingException = modelledError(429, 'ThrottlingException');
export const RequestEntityTooLargeException = modelledError(413, 'RequestEntityTooLargeException');
export const UnknownOperationException = modelledError(404, 'UnknownOperationException');
export const MethodNotAllowedException = modelledError(405, 'MethodNotAllowedException');
export const InternalFailureException = modelledError(500, 'InternalFailureException');

/** Carries the id and ARN of the resource that already exists, as AWS does. */
export class ResourceAlreadyExistsException extends RestError {
  constructor(
    message: string,
    readonly resourceId: string,
    readonly resourceArn: string,
  ) {
    super(409, 'ResourceAlreadyExistsException', message);
  }
}
