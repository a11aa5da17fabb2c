/**
 * The local AWS's identity and access model: the policy documents AWS's IAM evaluates, who signs a
 * request, what an operation asks to be allowed, and what a refused request is answered with.
 */

import type { PolicyDocument } from '../../workflows/access/policy.ts';

export type { ConditionBlock, PolicyDocument, PolicyStatement } from '../../workflows/access/policy.ts';

/**
 * The request context IAM evaluates a statement against. Keys are condition keys as AWS spells them
 * (`aws:SourceArn`, `dynamodb:LeadingKeys`); a multivalued key (LeadingKeys) holds an array.
 */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

/** One action on one resource: what a single IAM authorization decides. */
export interface AuthorizationRequest {
  /** `service:Action`, e.g. `iot:AttachPolicy`. */
  readonly action: string;
  /** The resource's ARN, or `*` for an action that the authorization reference gives no resource type. */
  readonly resource: string;
  readonly context: RequestContext;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Who made a request: a role session (functions, state machines, rules, the operator) or the admin. */
export interface Principal {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, or `arn:aws:iam::<account>:root`. */
  readonly arn: string;
  /** `arn:aws:iam::<account>:role/<role>` for a role session. */
  readonly roleArn?: string;
  /** Identity-based policies; ignored for the administrator. */
  readonly policies: readonly PolicyDocument[];
  /** Credentials nobody configured act as the local account's administrator (everything allowed). */
  readonly administrator: boolean;
}

/** Static credentials the local identity store issued for a role session. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Why a request was refused, in protocol-neutral form; each server renders it in its own wire shape
 * (restJson1 `x-amzn-ErrorType`, awsJson `__type`, awsQuery `<Error><Code>`).
 */
export interface AuthFailure {
  /** AWS's error code for this service, e.g. `AccessDeniedException`, `AuthorizationError`. */
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

/** The raw HTTP request a server received, as SigV4 verification needs it. */
export interface SignedHttpRequest {
  readonly method: string;
  /** The request target's path as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The request target's query string as sent, without `?` ('' when none). */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * What a local server asks before an operation: `undefined` to go on, or the refusal in its wire shape;
 * `input` is the parsed request (restJson1 parts, the awsJson body, or the awsQuery form).
 */
export type AccessCheck = (
  request: SignedHttpRequest,
  operation: string,
  input: unknown,
) => AuthFailure | undefined;

/** Who asks Lambda to invoke a function: a role session (identity policies) or an AWS service (resource policy). */
export type InvokeCaller =
  | { readonly kind: 'principal'; readonly principal: Principal }
  | {
      readonly kind: 'service';
      /** e.g. `iot.amazonaws.com`, `sns.amazonaws.com`, `events.amazonaws.com`. */
      readonly service: string;
      readonly sourceArn: string;
      readonly sourceAccount: string;
    };
