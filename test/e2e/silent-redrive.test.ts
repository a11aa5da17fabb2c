import { GetExecutionHistoryCommand, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { honestBehaviour } from '../../device/agent/behaviour.ts';
import { eventually, executionEnded, thingCertificateIds } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest, startSilentDevice } from './scenario.ts';

describe('a device that goes silent after its first CSR', () => {
  const startScenario = scenarioPerTest();

  it('fails at the CSR request once its retries are spent, escalates, and a redrive completes the same execution', async () => {
    // Prepare: waits of a few seconds, so the unacknowledged certificate is revoked and the second
    // CSR request gives up quickly.
    const { scenario, device } = await startSilentDevice(startScenario, 'quiet');
    const { local } = scenario;

    // Act 1: the rotation runs until the device's silence exhausts it.
    await runAudit(local);
    const failed = await recordWithStatus(local, device.thingName, ['FAILED', 'SUCCEEDED']);

    // Assess 1: FAILED at RequestCsr, with the certificate it issued revoked and the old one kept;
    // the escalation topic got one message naming the thing.
    expect(failed.status).toBe('FAILED');
    const executionArn = String(failed.executionArn);
    const history = await local.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 }),
    );
    const failedState = history.events?.find(
      (e) => e.type === 'TaskStateEntered' || e.stateEnteredEventDetails,
    );
    expect(failedState?.stateEnteredEventDetails?.name).toBe('RequestCsr');
    expect(await thingCertificateIds(local, device.thingName)).toEqual([device.initialCertificateId]);
    const escalations = await eventually('an escalation', async () => {
      const sent = local.events.sns.published(local.resources.escalationTopicArn);
      return sent.length > 0 ? sent : undefined;
    });
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.message).toContain(device.thingName);

    // Act 2: the device answers again; the operator redrives.
    device.setBehaviour(honestBehaviour);
    await local.clients.sfn.send(new RedriveExecutionCommand({ executionArn }));
    const done = await recordWithStatus(local, device.thingName, ['SUCCEEDED']);

    // Assess 2: the same execution succeeded, and the device uses the new certificate.
    expect(done.executionArn).toBe(executionArn);
    const execution = await executionEnded(local, executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.redriveCount).toBe(1);
    const newId = String(done.newCertificateId);
    expect(await thingCertificateIds(local, device.thingName)).toEqual([newId]);
    await eventually('the device on its new certificate', async () => {
      const s = device.state();
      return s.connected && s.certificateId === newId ? s : undefined;
    });
  });
});
