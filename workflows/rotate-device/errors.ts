/**
 * The workflow's named errors: Retry and Catch match a thrown error's `name`, which Lambda reports as its
 * error type. Never rename one without `asl/rotate-device.asl.json` in the same commit.
 */

export const ERROR_NAMES = {
  /** A call to AWS was throttled or hit a service-side fault; the step is retried with backoff. */
  transientAws: 'TransientAwsError',
  /** The rotation record belongs to another execution (a newer rotation claimed the thing). */
  rotationSuperseded: 'RotationSuperseded',
  /** The step's rotation record is missing or in a phase the step cannot run in. */
  rotationStateInvalid: 'RotationStateInvalid',
  /** Every certificate attempt of this execution (run) was used; see the ASL's RequestCsr comment. */
  attemptsExhausted: 'CertificateAttemptsExhausted',
  /** A previous run of the issue step crashed between its marker and CreateCertificateFromCsr's answer. */
  issuanceInterrupted: 'IssuanceInterrupted',
  /** The device could not use the certificate it was sent (it published `crt_err`). */
  deviceCertificateError: 'DeviceCertificateError',
  /** The retire step found no proof that the device connected with the new certificate. */
  proofMissing: 'ProofOfPossessionMissing',
  /** The old certificate is not attached to the thing, or a step was asked to remove the wrong one. */
  certificateMismatch: 'CertificateMismatch',
  /** The step's input did not match its schema. */
  invalidInput: 'InvalidStepInput',
  /** The error `recert abandon` stops an execution with: an operator's decision, not an incident. */
  rotationAbandoned: 'RecertAbandoned',
} as const;

/** One error per reason a CSR is rejected (invariant 4). */
export const CSR_REJECTION_NAMES = {
  notParsable: 'CsrNotParsable',
  signatureInvalid: 'CsrSignatureInvalid',
  keyTypeUnsupported: 'CsrKeyTypeUnsupported',
  keyTooSmall: 'CsrKeyTooSmall',
  keyReused: 'CsrKeyReused',
  subjectMismatch: 'CsrSubjectMismatch',
} as const;

export type CsrRejectionReason = keyof typeof CSR_REJECTION_NAMES;
export type CsrRejectionName = (typeof CSR_REJECTION_NAMES)[CsrRejectionReason];

/** Base of every named error: a stable `name` and the cause passed on. */
export class RecertError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** The base of a named error whose name is fixed: `class X extends recertError(ERROR_NAMES.x) {}`. */
function recertError(name: string) {
  return class extends RecertError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(name, message, options);
    }
  };
}

export class TransientAwsError extends recertError(ERROR_NAMES.transientAws) {}
export class RotationSuperseded extends recertError(ERROR_NAMES.rotationSuperseded) {}
export class RotationStateInvalid extends recertError(ERROR_NAMES.rotationStateInvalid) {}
export class CertificateAttemptsExhausted extends recertError(ERROR_NAMES.attemptsExhausted) {}
export class IssuanceInterrupted extends recertError(ERROR_NAMES.issuanceInterrupted) {}
export class ProofOfPossessionMissing extends recertError(ERROR_NAMES.proofMissing) {}
export class CertificateMismatch extends recertError(ERROR_NAMES.certificateMismatch) {}
export class InvalidStepInput extends recertError(ERROR_NAMES.invalidInput) {}

/** A CSR that fails invariant 4; `reason` says which check, the name is one per reason. */
export class CsrRejected extends RecertError {
  constructor(
    readonly reason: CsrRejectionReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(CSR_REJECTION_NAMES[reason], message, options);
  }
}

/** The errors a failed Lambda step reports that mean "try again later" (see the ASL's Retry). */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  ERROR_NAMES.transientAws,
] as const;

/** The errors of the DynamoDB optimised integration that mean "try again later". */
export const TRANSIENT_DYNAMODB_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.InternalServerErrorException',
] as const;
