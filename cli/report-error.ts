import { CliError, errorMessage, errorName, systemCode } from './errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** How a failure is told to the operator: one line (plus a hint) and the documented exit code. */
export function classifyError(error: unknown): { exitCode: ExitCode; message: string; hint?: string } {
  if (error instanceof CliError) {
    return { exitCode: error.exitCode, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  const name = errorName(error);
  const message = errorMessage(error);
  if (CREDENTIAL_ERRORS.has(name)) {
    return {
      exitCode: EXIT.unavailable,
      message:
        name === 'CredentialsProviderError'
          ? `no AWS credentials found: ${message}`
          : `AWS refused the credentials (${name}): ${message}`,
      hint: 'configure credentials (aws configure, AWS_PROFILE, or the AWS_* environment variables), or use --local',
    };
  }
  if (/Region is missing/i.test(message)) {
    return {
      exitCode: EXIT.unavailable,
      message: 'no AWS region configured',
      hint: 'pass --region, set AWS_REGION, or configure a default region (aws configure)',
    };
  }
  const code = systemCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return {
      exitCode: EXIT.unavailable,
      message: `cannot reach the service (${code}): ${message}`,
      hint: 'check the network, or with --local that "recert local status" says it is running',
    };
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return {
      exitCode: EXIT.failed,
      message: `AWS denied the call: ${message}`,
      hint: 'the credentials lack a permission recert needs',
    };
  }
  return { exitCode: EXIT.failed, message: `${name}: ${message}` };
}

export function reportError(io: CliIo, prefix: string, error: unknown): ExitCode {
  const { exitCode, message, hint } = classifyError(error);
  io.stderr(`${prefix}: ${message}`);
  if (hint !== undefined) io.stderr(`  ${hint}`);
  if (io.env.RECERT_DEBUG === '1' && error instanceof Error && error.stack) io.stderr(error.stack);
  return exitCode;
}
