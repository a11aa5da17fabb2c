import { expect } from 'vitest';
import type { DeployedFunctionId } from '../../../workflows/access/identity-policies.ts';
import {
  deniedFragment,
  type Env,
  failedDelivery,
  functionArnOf,
  invocationsOf,
  type Removal,
  roleOf,
} from './harness.ts';

/** The grant a case takes away: its identity's action (on the resource it names, if any). */
export const removalOf = (c: Removal): Removal => ({
  identity: c.identity,
  action: c.action,
  ...(c.onResource ? { onResource: c.onResource } : {}),
});

/** Which asynchronous delivery to look for: to `fn`, after the first `since`, about `executionArn` if given. */
export interface DeliveryTo {
  readonly since: number;
  readonly fn: DeployedFunctionId;
  readonly executionArn?: string;
}

/**
 * Asserts a delivery to `fn` failed all of its three attempts with `code`, the function's role
 * (`c.identity`) denied `c.action`.
 */
export async function expectDeniedDelivery(
  env: Env,
  to: DeliveryTo,
  c: Removal & { readonly code: string },
): Promise<void> {
  const delivery = await failedDelivery(
    env,
    to.since,
    functionArnOf(env, to.fn),
    deniedFragment(c.action),
    to.executionArn,
  );
  expect(delivery.outcome.ok ? undefined : delivery.outcome.error.name).toBe(c.code);
  expect(delivery.outcome.attempts).toBe(3);
  expect(delivery.outcome.ok ? '' : delivery.outcome.error.message).toContain(
    `assumed-role/${roleOf(env, c.identity)}/`,
  );
}

/**
 * Asserts Lambda refused `service`'s Invoke of `fn` itself: AccessDeniedException, no attempt, and
 * the function ran no more than the `ranBefore` times it had.
 */
export async function expectRefusedInvoke(
  env: Env,
  to: DeliveryTo,
  service: string,
  ranBefore: number,
): Promise<void> {
  const delivery = await failedDelivery(
    env,
    to.since,
    functionArnOf(env, to.fn),
    `${service} is not authorized to perform: lambda:InvokeFunction`,
    to.executionArn,
  );
  expect(delivery.outcome.ok ? undefined : delivery.outcome.error.name).toBe('AccessDeniedException');
  expect(delivery.outcome.attempts).toBe(0);
  expect(invocationsOf(env, to.fn)).toBe(ranBefore);
}
