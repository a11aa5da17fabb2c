/**
 * The audit path: Device Defender notifies SNS with its notification role, SNS invokes the fan-out
 * (with its Lambda permission), the fan-out starts a campaign, the campaign state machine invokes
 * enqueue and pacer, the pacer starts rotations, and each rotation is counted in its campaign. Each
 * grant on the way taken away in turn stops the path where it is needed, with the denial; then, as
 * deployed, an audit rotates an expiring device.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../workflows/rotate-device/naming.ts';
import { AUDIT_TOPIC_PERMISSION, CAMPAIGN_CASES, FAIL_AT_REQUEST } from './cases.ts';
import { expectDeniedDelivery, expectRefusedInvoke, removalOf } from './denials.ts';
import {
  addDevice,
  CASE_TIMEOUT_MS,
  deniedFragment,
  describeExecution,
  ended,
  failure,
  invocationsOf,
  logLine,
  recordWhere,
  roleOf,
  settle,
  startAudit,
  withoutGrants,
  withoutPermission,
} from './harness.ts';
import { expectAsDeployed, leastPrivilegeSuite } from './suite.ts';

/** Within the audit's 30-day threshold: every audit finds this device's certificate. */
const EXPIRING = { expiresInDays: 10 };

describe('least privilege: the audit, its campaign and the rotations it starts', {
  timeout: CASE_TIMEOUT_MS,
}, () => {
  const suite = leastPrivilegeSuite('campaign');
  const nextThing = suite.nextThing;

  // Devices of earlier cases are still expiring and join later audits: whatever those start ends first.
  afterEach(async () => {
    await settle(suite.env());
  }, CASE_TIMEOUT_MS);

  it.each(CAMPAIGN_CASES)('$identity without $action: the $shows fails with $code', async (c) => {
    const local = suite.env();
    // Prepare: a device of its own whose certificate the audit reports.
    const device = await addDevice(local, nextThing(), EXPIRING);
    const rotationArn = `${local.local.resources.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName(device.thingName, device.initialCertificateId)}`;
    const logsSince = local.logs.length;
    const deliveriesSince = local.deliveries.length;
    const role = `assumed-role/${roleOf(local, c.identity)}/`;
    // The recorder case needs a rotation that fails: its request cannot be published.
    const removals = c.shows === 'recorder' ? [FAIL_AT_REQUEST, removalOf(c)] : [removalOf(c)];

    await withoutGrants(local, removals, async () => {
      // Act
      const { taskId, campaignExecutionArn } = await startAudit(local);

      // Assess
      switch (c.shows) {
        case 'notification': {
          // Device Defender could not publish the audit's notification: nothing starts a campaign.
          const line = await logLine(
            local,
            logsSince,
            `audit: notification of ${taskId} failed`,
            deniedFragment(c.action),
          );
          expect(line).toContain(role);
          await local.local.idle();
          expect(await describeExecution(local, campaignExecutionArn)).toBeUndefined();
          break;
        }
        case 'fan-out': {
          // SNS delivered, the fan-out failed every attempt: no campaign.
          await expectDeniedDelivery(local, { since: deliveriesSince, fn: 'audit-fanout' }, c);
          expect(await describeExecution(local, campaignExecutionArn)).toBeUndefined();
          break;
        }
        case 'campaign':
        case 'rotation': {
          const failed = await failure(local, c.shows === 'campaign' ? campaignExecutionArn : rotationArn);
          expect(c.states).toContain(failed.state);
          expect(failed.error).toBe(c.code);
          expect(failed.taskError).toBe(c.code);
          expect(failed.taskFailures).toBe(c.attempts ?? 1);
          expect(failed.cause).toContain(deniedFragment(c.action));
          expect(failed.cause).toContain(role);
          break;
        }
        case 'recorder': {
          // The rotation failed; the recorder could not count it in its campaign, every attempt.
          expect((await failure(local, rotationArn)).state).toBe('RequestCsr');
          await expectDeniedDelivery(
            local,
            { since: deliveriesSince, fn: 'outcome-recorder', executionArn: rotationArn },
            c,
          );
          break;
        }
      }
    });
  });

  it(`without the Lambda permission ${AUDIT_TOPIC_PERMISSION.statementId}, SNS cannot invoke the fan-out and no campaign starts`, async () => {
    const local = suite.env();
    // Prepare
    await addDevice(local, nextThing(), EXPIRING);
    const since = local.deliveries.length;

    await withoutPermission(local, AUDIT_TOPIC_PERMISSION.statementId, async () => {
      const ranBefore = invocationsOf(local, 'audit-fanout');
      // Act
      const { campaignExecutionArn } = await startAudit(local);

      // Assess: Lambda refused SNS's Invoke itself (no attempt ran, no retry).
      await expectRefusedInvoke(
        local,
        { since, fn: 'audit-fanout' },
        AUDIT_TOPIC_PERMISSION.service,
        ranBefore,
      );
      await local.local.idle();
      expect(await describeExecution(local, campaignExecutionArn)).toBeUndefined();
    });
  });

  it('with every policy and permission as deployed again, an audit rotates an expiring device (negative control)', async () => {
    const local = suite.env();
    expectAsDeployed(suite);
    const device = await addDevice(local, nextThing(), EXPIRING);

    const { campaignExecutionArn } = await startAudit(local);

    const record = await recordWhere(local, device.thingName, 'rotated', (r) => r.status !== 'IN_PROGRESS');
    expect(record.status).toBe('SUCCEEDED');
    expect(record.campaign).toBe(campaignExecutionArn.slice(campaignExecutionArn.lastIndexOf(':') + 1));
    expect((await ended(local, String(record.executionArn))).status).toBe('SUCCEEDED');
    expect((await ended(local, campaignExecutionArn)).status).toBe('SUCCEEDED');
  });
});
