/**
 * AWS's own error codes and HTTP statuses for refused authentication and authorization, per service; the
 * sources, and what was chosen where they were unclear, are in local/iam/README.md (Error codes).
 */
import type { AuthFailure } from './types.ts';

export type GuardedService = 'dynamodb' | 'states' | 'iot' | 'iotdata' | 'sns' | 'events' | 'acm-pca';

/** Services an in-process caller may be refused by (the Step Functions engine invoking a Lambda). */
export type RefusingService = GuardedService | 'lambda';

export type AuthFailureKind = 'missing' | 'incomplete' | 'unrecognized' | 'signature' | 'expired' | 'denied';

interface ErrorShape {
  readonly code: string;
  readonly status: number;
}

type ServiceErrors = Readonly<Record<AuthFailureKind, ErrorShape>>;

/** The JSON and REST protocols' names for each failure; only the HTTP status differs between them. */
const awsErrors = (status: number): ServiceErrors => ({
  missing: { code: 'MissingAuthenticationTokenException', status },
  incomplete: { code: 'IncompleteSignatureException', status },
  unrecognized: { code: 'UnrecognizedClientException', status },
  signature: { code: 'InvalidSignatureException', status },
  expired: { code: 'InvalidSignatureException', status },
  denied: { code: 'AccessDeniedException', status },
});
const json400 = awsErrors(400);
const rest403 = awsErrors(403);

export const SERVICE_ERRORS: Readonly<Record<RefusingService, ServiceErrors>> = {
  dynamodb: json400,
  states: json400,
  events: json400,
  'acm-pca': json400,
  iot: rest403,
  iotdata: {
    ...rest403,
    unrecognized: { code: 'ForbiddenException', status: 403 },
    denied: { code: 'ForbiddenException', status: 403 },
  },
  sns: {
    missing: { code: 'MissingAuthenticationToken', status: 403 },
    incomplete: { code: 'IncompleteSignature', status: 400 },
    unrecognized: { code: 'InvalidClientTokenId', status: 403 },
    signature: { code: 'SignatureDoesNotMatch', status: 403 },
    expired: { code: 'SignatureDoesNotMatch', status: 403 },
    denied: { code: 'AuthorizationError', status: 403 },
  },
  // Lambda (restJson1) answers a denied Invoke with AccessDeniedException 403.
  lambda: rest403,
};

const MESSAGES: Readonly<Record<Exclude<AuthFailureKind, 'expired' | 'denied'>, string>> = {
  missing: 'Request is missing Authentication Token',
  incomplete: 'Authorization header requires Credential, SignedHeaders and Signature parameters.',
  unrecognized: 'The security token included in the request is invalid.',
  signature:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
    'Access Key and signing method. Consult the service documentation for details.',
};

/** `Date` → `20240101T120000Z`, the form AWS's messages quote. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** AWS's message for a signature outside the 15-minute window (too old, or from the future). */
export function expiredMessage(signedAt: Date, now: Date): string {
  const skew = 15 * 60 * 1000;
  if (signedAt.getTime() < now.getTime()) {
    return `Signature expired: ${amzDate(signedAt)} is now earlier than ${amzDate(new Date(now.getTime() - skew))} (${amzDate(now)} - 15 min.)`;
  }
  return `Signature not yet current: ${amzDate(signedAt)} is still later than ${amzDate(new Date(now.getTime() + skew))} (${amzDate(now)} + 15 min.)`;
}

/** AWS's message for a call no identity-based policy allows, or one an identity-based policy denies. */
export function accessDeniedMessage(
  principalArn: string,
  action: string,
  resource: string,
  explicit: boolean,
) {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  return explicit
    ? `${head} with an explicit deny in an identity-based policy`
    : `${head} because no identity-based policy allows the ${action} action`;
}

/** The failure a service answers with; `message` overrides the kind's standard message. */
export function serviceFailure(
  service: RefusingService,
  kind: AuthFailureKind,
  message?: string,
): AuthFailure {
  const shape = SERVICE_ERRORS[service][kind];
  const text = message ?? (kind === 'expired' || kind === 'denied' ? shape.code : MESSAGES[kind]);
  return { code: shape.code, status: shape.status, message: text };
}
