/**
 * Each grant a rotation step uses, taken away in turn: the rotation, started by hand as an operator
 * does, fails at that step with the service's own denial, naming the role and the action. Then, with
 * every policy back as deployed, the same rotations succeed.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../../workflows/rotate-device/errors.ts';
import { SETTINGS } from '../../../workflows/rotate-device/settings.ts';
import { DENIED, INVOKE_DENIED, ROTATION_STEP_CASES } from './cases.ts';
import {
  addDevice,
  CASE_TIMEOUT_MS,
  deniedFragment,
  ended,
  failure,
  policySnapshot,
  type Removal,
  roleOf,
  startRotation,
  statesEntered,
  withoutGrants,
} from './harness.ts';
import { leastPrivilegeSuite } from './suite.ts';

describe('least privilege: a rotation step without one of its grants', { timeout: CASE_TIMEOUT_MS }, () => {
  const suite = leastPrivilegeSuite('steps');

  it.each(
    ROTATION_STEP_CASES.map((c, index) => ({ ...c, index })),
  )('$identity without $action fails at $state with $code', async (c) => {
    const local = suite.env();
    // Prepare: a device of its own, connected, its certificate far from expiry (no audit finds it).
    const device = await addDevice(local, `steps-${c.index}`, { behaviour: c.behaviour });
    const removal: Removal = {
      identity: c.identity,
      action: c.action,
      ...(c.onResource ? { onResource: c.onResource } : {}),
    };

    // Act
    const failed = await withoutGrants(local, [removal], async () =>
      failure(local, await startRotation(local, device)),
    );

    // Assess: the execution failed at the step, once (a denial is not retried), with the denial of
    // that action to that role as its cause.
    expect(failed.state).toBe(c.state);
    expect(failed.error).toBe(c.code);
    expect(failed.taskError).toBe(c.code);
    expect(failed.taskFailures).toBe(c.attempts ?? 1);
    expect(failed.cause).toContain(deniedFragment(c.action));
    expect(failed.cause).toContain(`assumed-role/${roleOf(local, c.identity)}/`);
    // A refused Invoke names Lambda's own denial in its cause, as the SDK reports it.
    if (c.code === INVOKE_DENIED) expect(failed.cause).toContain(`Error Code: ${DENIED}`);
  });

  it('with every policy as deployed again, the same rotations run as designed (negative control)', async () => {
    const local = suite.env();
    expect(policySnapshot(local)).toEqual(suite.deployed());
    const behaviours = [...new Set(ROTATION_STEP_CASES.map((c) => c.behaviour))];
    for (const [index, behaviour] of behaviours.entries()) {
      const device = await addDevice(local, `steps-control-${index}`, { behaviour });
      const executionArn = await startRotation(local, device);
      const execution = await ended(local, executionArn);
      const states = await statesEntered(local, executionArn);
      if (behaviour === 'weak_key') {
        // Every CSR is rejected and asked for again, until the attempts run out.
        expect(execution.status).toBe('FAILED');
        expect(execution.error).toBe(ERROR_NAMES.attemptsExhausted);
        expect(states.filter((s) => s === 'IssueAndDeliver').length).toBe(
          SETTINGS.MaxCertificateAttempts.default,
        );
      } else {
        expect(execution.status).toBe('SUCCEEDED');
      }
      // Every state the cases above fail at ran and passed.
      const expected = ROTATION_STEP_CASES.filter((c) => c.behaviour === behaviour).map((c) => c.state);
      for (const state of expected) expect(states).toContain(state);
    }
  });
});
