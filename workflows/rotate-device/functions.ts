import { EVENT_TRIGGERED_FUNCTIONS } from './event-triggered-functions.ts';
import type { FunctionSpec as GenericFunctionSpec } from './function-spec.ts';
import { ROTATION_STEP_FUNCTIONS } from './rotation-step-functions.ts';

export {
  CERTIFICATE_VALIDITY_ENV,
  DEPLOYED_RUNTIME_ENV,
  ISSUER_KIND_ENV,
  PACING_VARIABLES,
  type PacingVariable,
  PRIVATE_CA_ARN_ENV,
} from './function-env.ts';
export type {
  EnvValueType,
  EnvVarSpec,
  FunctionTrigger,
  Grant,
  ResourceRole,
  TaskEventSpec,
} from './function-spec.ts';

/**
 * The Lambda functions of the rotation workflow: where each one lives, what starts it, what it
 * reads from its environment (the one place that names each variable), the task input it parses and
 * which AWS actions it needs. `workflows/access/` turns `permissions`
 * into each role's policy, which `infra/` deploys and `local/` enforces; `local/` registers each
 * `createHandler` in its function registry. Each is described with its group, as functions/ holds
 * them: rotation-step-functions.ts and event-triggered-functions.ts.
 */

export const FUNCTION_IDS = [
  'audit-fanout',
  'request-csr',
  'issue-certificate',
  'device-reply',
  'revoke-certificate',
  'retire-certificate',
  'on-reconnect',
  'outcome-recorder',
  'retired-certificate-sweeper',
] as const;

export type FunctionId = (typeof FUNCTION_IDS)[number];

/** A function's description; the rotation workflow's functions by default. */
export type FunctionSpec<Id extends string = FunctionId> = GenericFunctionSpec<Id>;

/**
 * Why device-reply drops a reply (invariant 3): the dimension of its `ReplyRejected` metric, which
 * infra/ alarms on.
 */
export const REJECTION_REASONS = [
  'malformed',
  'unknown-thing',
  'not-in-progress',
  'wrong-phase',
  'duplicate',
  'stale-rotation',
  'missing-rotation-id',
  'wrong-principal',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Every function of the rotation workflow, in `FUNCTION_IDS` order. */
export const FUNCTIONS = {
  'audit-fanout': EVENT_TRIGGERED_FUNCTIONS['audit-fanout'],
  'request-csr': ROTATION_STEP_FUNCTIONS['request-csr'],
  'issue-certificate': ROTATION_STEP_FUNCTIONS['issue-certificate'],
  'device-reply': EVENT_TRIGGERED_FUNCTIONS['device-reply'],
  'revoke-certificate': ROTATION_STEP_FUNCTIONS['revoke-certificate'],
  'retire-certificate': ROTATION_STEP_FUNCTIONS['retire-certificate'],
  'on-reconnect': EVENT_TRIGGERED_FUNCTIONS['on-reconnect'],
  'outcome-recorder': EVENT_TRIGGERED_FUNCTIONS['outcome-recorder'],
  'retired-certificate-sweeper': EVENT_TRIGGERED_FUNCTIONS['retired-certificate-sweeper'],
} as const satisfies Readonly<Record<FunctionId, FunctionSpec>>;
