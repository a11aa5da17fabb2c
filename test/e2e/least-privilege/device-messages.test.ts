/**
 * The functions the services invoke: device-reply and on-reconnect behind IoT rules, the outcome
 * recorder behind EventBridge. Without one of their grants, or without the Lambda permission that
 * lets the service invoke them, the rotation is left waiting (or its end goes unrecorded) and the
 * service reports the invocation failed with the denial. Then, as deployed, the same triggers work.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createCsrPem, generatePrivateKeyPem } from '../../../device/agent/crypto.ts';
import type { SimulatedDevice } from '../../../device/fleet/simulated-device.ts';
import { topicFor } from '../../../workflows/rotate-device/protocol.ts';
import { connectDevice, end, subscribe } from '../../local/iot/helpers/mqtt.ts';
import { certificateStatus, eventually } from '../helpers.ts';
import {
  CONNECTED_PERMISSION,
  CONNECTED_RULE,
  FAIL_AT_REQUEST,
  RECORDER_CASES,
  REPLIES_PERMISSION,
  REPLIES_RULE,
  RULE_CASES,
  STATUS_CHANGE_PERMISSION,
} from './cases.ts';
import { expectDeniedDelivery, expectRefusedInvoke, removalOf } from './denials.ts';
import {
  addDevice,
  CASE_TIMEOUT_MS,
  connect,
  deniedFragment,
  describeExecution,
  type Env,
  ended,
  escalationsOf,
  failure,
  invocationsOf,
  logLine,
  type RotatedDevice,
  recordOf,
  recordWhere,
  roleOf,
  startRotation,
  statesEntered,
  stopIfRunning,
  WAIT_MS,
  withoutGrants,
  withoutPermission,
} from './harness.ts';
import { expectAsDeployed, leastPrivilegeSuite } from './suite.ts';

const DAY = 86_400_000;

/**
 * A device of the bare blog protocol (ACCEPT_REPLIES_WITHOUT_ROTATION_ID, on by default): it answers
 * csr_req with `{"CSR"}` alone. Only the CSR matters here.
 */
async function bareProtocolDevice(
  env: Env,
  thingName: string,
): Promise<RotatedDevice & { stop(): Promise<void> }> {
  const provisioned = await env.local.iot.provisionDevice({ thingName, validity: { durationMs: 365 * DAY } });
  const client = await connectDevice(env.local.iot, provisioned, { clientId: thingName, clean: false });
  await subscribe(client, topicFor(thingName, 'csr_req'));
  client.on('message', (topic) => {
    if (topic !== topicFor(thingName, 'csr_req')) return;
    void (async () => {
      const CSR = await createCsrPem(await generatePrivateKeyPem('ec-p256'), thingName);
      await client.publishAsync(topicFor(thingName, 'csr_res'), JSON.stringify({ CSR }), { qos: 1 });
    })();
  });
  return { thingName, initialCertificateId: provisioned.certificateId, stop: () => end(client) };
}

/** Starts the rotation; a device away at the request connects once its CSR was asked for. */
async function rotateWithDevice(env: Env, device: SimulatedDevice, awayAtRequest: boolean): Promise<string> {
  const executionArn = await startRotation(env, device);
  if (awayAtRequest) {
    await recordWhere(env, device.thingName, 'its CSR requested', (r) => r.phase === 'AWAITING_CSR');
    await connect(device);
  }
  return executionArn;
}

/** Asserts the execution is still running, its last state entered `state`. */
async function expectWaitingIn(env: Env, executionArn: string, state: string): Promise<void> {
  expect((await describeExecution(env, executionArn))?.status).toBe('RUNNING');
  expect((await statesEntered(env, executionArn)).at(-1)).toBe(state);
}

/** Waits until an ended rotation's outcome was handled by the recorder (recorded and escalated). */
async function escalated(env: Env, thingName: string, executionArn: string) {
  await eventually(
    'the escalation',
    async () => (escalationsOf(env, executionArn).length > 0 ? true : undefined),
    WAIT_MS,
  );
  return recordWhere(
    env,
    thingName,
    'escalated',
    (r) => r.executionArn === executionArn && r.escalatedAt !== undefined,
  );
}

describe('least privilege: functions the services invoke', { timeout: CASE_TIMEOUT_MS }, () => {
  const suite = leastPrivilegeSuite('messages');
  const nextThing = suite.nextThing;

  it.each(
    RULE_CASES,
  )('$identity without $action: the $rule rule fails with $code and the rotation waits in $waitsIn', async (c) => {
    const local = suite.env();
    // Prepare
    const since = local.logs.length;
    const bare = c.bareProtocol ? await bareProtocolDevice(local, nextThing()) : undefined;
    const device = bare
      ? undefined
      : await addDevice(local, nextThing(), { behaviour: c.behaviour, start: !c.awayAtRequest });
    const thingName = bare?.thingName ?? device?.thingName ?? '';

    try {
      await withoutGrants(local, [removalOf(c)], async () => {
        // Act
        const executionArn = device
          ? await rotateWithDevice(local, device, c.awayAtRequest)
          : await startRotation(local, bare as RotatedDevice);

        // Assess: every attempt of the rule's Lambda action failed with the denial; nothing answered the wait.
        const line = await logLine(local, since, `an action of ${c.rule} failed`, deniedFragment(c.action));
        expect(line).toContain(`${c.code}: User: `);
        expect(line).toContain(`assumed-role/${roleOf(local, c.identity)}/`);
        await expectWaitingIn(local, executionArn, c.waitsIn);
        expect((await recordOf(local, thingName))?.phase).toBe(c.phase);
        // The reconnect never brought the request to the device.
        if (c.awayAtRequest) expect(device?.state().pendingRotationId).toBeUndefined();
        await stopIfRunning(local, executionArn);
      });
    } finally {
      await bare?.stop();
    }
  });

  it.each([
    { ...REPLIES_PERMISSION, rule: REPLIES_RULE, fn: 'device-reply' as const, awayAtRequest: false },
    { ...CONNECTED_PERMISSION, rule: CONNECTED_RULE, fn: 'on-reconnect' as const, awayAtRequest: true },
  ])('without the Lambda permission $statementId, the rule cannot invoke $fn and the rotation waits', async (c) => {
    const local = suite.env();
    // Prepare
    const since = local.logs.length;
    const device = await addDevice(local, nextThing(), { start: !c.awayAtRequest });

    await withoutPermission(local, c.statementId, async () => {
      const ranBefore = invocationsOf(local, c.fn);
      // Act
      const executionArn = await rotateWithDevice(local, device, c.awayAtRequest);

      // Assess: Lambda refused the rule's Invoke itself (no retry); the function never ran.
      const line = await logLine(
        local,
        since,
        `an action of ${c.rule} failed`,
        `${c.service} is not authorized to perform: lambda:InvokeFunction`,
      );
      expect(line).toContain('Error Code: AccessDeniedException');
      await expectWaitingIn(local, executionArn, 'RequestCsr');
      expect(invocationsOf(local, c.fn)).toBe(ranBefore);
      await stopIfRunning(local, executionArn);
    });
  });

  it.each(
    RECORDER_CASES,
  )('$identity without $action: the recorder fails on a rotation $ending, with $code, and nothing is escalated', async (c) => {
    const local = suite.env();
    // Prepare: a failed rotation (its request cannot be published), or an aborted one whose device
    // never acknowledged its new certificate.
    const since = local.deliveries.length;
    const device = await addDevice(local, nextThing(), {
      behaviour: c.ending === 'failed' ? 'healthy' : 'silent',
    });
    const removals = c.ending === 'failed' ? [FAIL_AT_REQUEST, removalOf(c)] : [removalOf(c)];

    await withoutGrants(local, removals, async () => {
      // Act
      const executionArn = await startRotation(local, device);
      let unproven: string | undefined;
      if (c.ending === 'failed') {
        expect((await failure(local, executionArn)).state).toBe('RequestCsr');
      } else {
        const waiting = await recordWhere(
          local,
          device.thingName,
          'its new certificate sent',
          (r) => r.phase === 'AWAITING_ACK',
        );
        unproven = String(waiting.newCertificateId);
        await local.local.clients.sfn.send(
          new StopExecutionCommand({ executionArn, error: 'OperatorStopped', cause: 'stopped by hand' }),
        );
      }

      // Assess: every attempt of the EventBridge delivery failed with the denial; no escalation.
      await expectDeniedDelivery(local, { since, fn: 'outcome-recorder', executionArn }, c);
      expect(escalationsOf(local, executionArn)).toEqual([]);
      const record = await recordOf(local, device.thingName);
      expect(record?.escalatedAt).toBeUndefined();
      if (unproven !== undefined) {
        // The unproven certificate was not taken out of service.
        expect(record?.revokedCertificateIds).toBeUndefined();
        expect(await certificateStatus(local.local, unproven)).not.toBe('DELETED');
      }
    });
  });

  it(`without the Lambda permission ${STATUS_CHANGE_PERMISSION.statementId}, a failed rotation is neither recorded nor escalated`, async () => {
    const local = suite.env();
    // Prepare
    const since = local.deliveries.length;
    const device = await addDevice(local, nextThing());

    await withoutPermission(local, STATUS_CHANGE_PERMISSION.statementId, () =>
      withoutGrants(local, [FAIL_AT_REQUEST], async () => {
        const ranBefore = invocationsOf(local, 'outcome-recorder');
        // Act
        const executionArn = await startRotation(local, device);
        expect((await failure(local, executionArn)).state).toBe('RequestCsr');

        // Assess: Lambda refused EventBridge's Invoke (no attempt ran); the record still says IN_PROGRESS.
        await expectRefusedInvoke(
          local,
          { since, fn: 'outcome-recorder', executionArn },
          STATUS_CHANGE_PERMISSION.service,
          ranBefore,
        );
        expect((await recordOf(local, device.thingName))?.status).toBe('IN_PROGRESS');
        expect(escalationsOf(local, executionArn)).toEqual([]);
      }),
    );
  });

  it('with every policy and permission as deployed again, the same triggers work (negative control)', async () => {
    const local = suite.env();
    expectAsDeployed(suite);

    // Replies reach device-reply (csr_res, crt_ack and crt_err), and a reconnect resends the request.
    for (const [behaviour, awayAtRequest] of [
      ['healthy', false],
      ['crt_err', false],
      ['healthy', true],
    ] as const) {
      const device = await addDevice(local, nextThing(), { behaviour, start: !awayAtRequest });
      const executionArn = await rotateWithDevice(local, device, awayAtRequest);
      expect((await ended(local, executionArn)).status).toBe('SUCCEEDED');
    }

    // A bare csr_res is matched to its rotation and answered.
    const bare = await bareProtocolDevice(local, nextThing());
    try {
      const executionArn = await startRotation(local, bare);
      await eventually(
        'the bare CSR answered',
        async () =>
          (await statesEntered(local, executionArn)).includes('IssueAndDeliver') ? true : undefined,
        WAIT_MS,
      );
      await stopIfRunning(local, executionArn);
    } finally {
      await bare.stop();
    }

    // A failed rotation is recorded and escalated.
    const failing = await addDevice(local, nextThing());
    const failedArn = await withoutGrants(local, [FAIL_AT_REQUEST], async () => {
      const executionArn = await startRotation(local, failing);
      await failure(local, executionArn);
      return executionArn;
    });
    const failedRecord = await escalated(local, failing.thingName, failedArn);
    expect(failedRecord.status).toBe('FAILED');

    // An aborted rotation's unproven certificate is revoked, and the abort escalated.
    const silent = await addDevice(local, nextThing(), { behaviour: 'silent' });
    const abortedArn = await startRotation(local, silent);
    const waiting = await recordWhere(
      local,
      silent.thingName,
      'its new certificate sent',
      (r) => r.phase === 'AWAITING_ACK',
    );
    await local.local.clients.sfn.send(
      new StopExecutionCommand({
        executionArn: abortedArn,
        error: 'OperatorStopped',
        cause: 'stopped by hand',
      }),
    );
    const abortedRecord = await escalated(local, silent.thingName, abortedArn);
    expect(abortedRecord.status).toBe('ABORTED');
    expect(abortedRecord.revokedCertificateIds).toEqual([String(waiting.newCertificateId)]);
    expect(await certificateStatus(local.local, String(waiting.newCertificateId))).toBe('DELETED');
  });
});
