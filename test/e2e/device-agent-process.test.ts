import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { LocalAws } from '../../local/stack/local-aws.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { deviceRunArgs } from '../device/helpers/agent-harness.ts';
import { AgentProcess } from '../device/helpers/agent-process.ts';
import { CuttableProxy } from '../device/helpers/cuttable-proxy.ts';
import { useLocalDevice } from '../device/helpers/local-device.ts';
import { eventually, thingCertificateIds } from './helpers.ts';
import { recordWithStatus } from './scenario.ts';

const THING = 'field-device-1';
const STEPS = ['csr_req', 'csr_res', 'crt_res', 'crt_ack'] as const;

/**
 * The real `recert device run` process on a network that blinks: the local AWS restarts under it,
 * and its connection is cut the moment each protocol message passes the broker. The workflow's
 * timeouts are its defaults (an hour), so a rotation that waited for one would not finish here.
 */
describe('recert device run, on a network that drops', () => {
  const localDevice = useLocalDevice();

  async function restart(current: LocalAws, dir: string): Promise<LocalAws> {
    const mqtt = current.endpoints.mqtt.port;
    await current.close();
    return LocalAws.start({
      stateDir: dir,
      ports: { mqtt, stepFunctions: 0, iot: 0, dynamodb: 0, events: 0 },
    });
  }

  it('rotates without waiting for a timeout, and never exits on its own', async () => {
    // Prepare: a provisioned device whose agent reaches the broker through a relay the test can cut.
    const { env, device, files } = await localDevice.start(THING);
    let local = env.local;
    const proxy = await CuttableProxy.start(() => local.endpoints.mqtt.port);
    localDevice.onCleanup(() => proxy.close());
    const running = localDevice.track(
      AgentProcess.recert(['device', ...deviceRunArgs(THING, files, `127.0.0.1:${proxy.port}`)]),
    );
    const connections = (): number => running.events('connected').length;
    await eventually('the agent connected', async () => (connections() >= 1 ? true : undefined));

    // Act 1: the local AWS restarts under the running agent.
    local = await restart(local, env.dir);
    env.local = local;
    await eventually('the agent back after the restart', async () => (connections() >= 2 ? true : undefined));

    // Act 2: a rotation, with the connection cut as each protocol message passes the broker.
    const cutAt: string[] = [];
    local.iot.bus.subscribe((message) => {
      const kind = STEPS.find((step) => message.topic === `management/topic/${THING}/${step}`);
      if (kind && !cutAt.includes(kind)) {
        cutAt.push(kind);
        proxy?.cut();
      }
    });
    await local.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.resources.stateMachineArn,
        name: executionName(THING, device.certificateId),
        input: JSON.stringify({ thingName: THING, oldCertificateId: device.certificateId }),
      }),
    );
    const record = await recordWithStatus(local, THING, ['SUCCEEDED', 'FAILED'], 120_000);
    const newId = String(record.newCertificateId);
    await eventually('the agent on its new certificate', async () =>
      running.events('connected').some((e) => e.certificateId === newId) ? true : undefined,
    );

    // Act 3: one more restart, now with the new certificate.
    const before = connections();
    local = await restart(local, env.dir);
    env.local = local;
    await eventually('the agent back on its new certificate', async () =>
      connections() > before ? true : undefined,
    );
    const exitedOnItsOwn = running.child.exitCode;
    const code = await running.stop();

    // Assess
    expect(cutAt).toEqual([...STEPS]);
    expect(record.status).toBe('SUCCEEDED');
    expect(await thingCertificateIds(local, THING)).toEqual([newId]);
    expect(running.events('connected').at(-1)?.certificateId).toBe(newId);
    expect(running.events('rotated')).toHaveLength(1);
    expect(exitedOnItsOwn).toBeNull();
    expect(code).toBe(0);
  }, 240_000);
});
