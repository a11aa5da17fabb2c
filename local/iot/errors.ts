/**
 * AWS IoT's modelled errors, each with the HTTP status the service model gives it, so the SDK raises
 * an exception of the same name as it would against AWS.
 */
import { RestError } from './interfaces.ts';

type ErrorOptions = { cause?: unknown };

export class ResourceNotFoundException extends RestError {
  constructor(message: string, options?: ErrorOptions) {
    super(404, 'ResourceNotFoundException', message, options);
  }
}

export class InvalidRequestException extends RestError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, 'InvalidRequestException', message, options);
  }
}

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

export class CertificateStateException extends RestError {
  constructor(message: string) {
    super(406, 'CertificateStateException', message);
  }
}

export class CertificateValidationException extends RestError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, 'CertificateValidationException', message, options);
  }
}

export class DeleteConflictException extends RestError {
  constructor(message: string) {
    super(409, 'DeleteConflictException', message);
  }
}

export class VersionConflictException extends RestError {
  constructor(message: string) {
    super(409, 'VersionConflictException', message);
  }
}

export class MalformedPolicyException extends RestError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, 'MalformedPolicyException', message, options);
  }
}

export class ThrottlingException extends RestError {
  constructor(message: string) {
    super(429, 'ThrottlingException', message);
  }
}

export class RequestEntityTooLargeException extends RestError {
  constructor(message: string) {
    super(413, 'RequestEntityTooLargeException', message);
  }
}

export class UnknownOperationException extends RestError {
  constructor(message: string) {
    super(404, 'UnknownOperationException', message);
  }
}

export class MethodNotAllowedException extends RestError {
  constructor(message: string) {
    super(405, 'MethodNotAllowedException', message);
  }
}

export class InternalFailureException extends RestError {
  constructor(message: string, options?: ErrorOptions) {
    super(500, 'InternalFailureException', message, options);
  }
}
