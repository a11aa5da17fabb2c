import { ListCertificatesCommand, ListPoliciesCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { certificateStatus, eventually, thingCertificateIds } from '../../e2e/helpers.ts';
import { AgentProcess } from '../helpers/agent-process.ts';
import { useLocalDevice } from '../helpers/local-device.ts';

const THING = 'conformance-reference';
/** Generous per-check bound for a busy machine; a passing check ends well before it. */
const CHECK_TIMEOUT_SECONDS = '240';

/** `recert device test` and `recert device run`, both real processes, on a local AWS in this one. */
describe('recert device test against the reference agent', () => {
  const localDevice = useLocalDevice();

  it('passes every check, one line each, and exits 0', async () => {
    // Prepare: the local AWS, a provisioned device and its agent, connected.
    const { env, files } = await localDevice.start(THING);
    const { mqtt } = env.local.endpoints;
    const running = localDevice.track(
      AgentProcess.recert([
        'device',
        'run',
        '--thing',
        THING,
        '--cert',
        files.certificatePath,
        '--key',
        files.privateKeyPath,
        '--ca',
        files.caPath,
        '--endpoint',
        `${mqtt.host}:${mqtt.port}`,
        '--state-dir',
        files.stateDir,
      ]),
    );
    await eventually(
      'the agent connected',
      async () => (running.events('connected').length > 0 ? true : undefined),
      60_000,
    );

    // Act
    const kit = localDevice.track(
      AgentProcess.recert([
        'device',
        'test',
        THING,
        '--local',
        '--state-dir',
        env.dir,
        '--check-timeout',
        CHECK_TIMEOUT_SECONDS,
      ]),
    );
    const code = await kit.exited;

    // Assess
    expect(kit.errors.join('')).not.toMatch(/\n\s+at /);
    expect({ code, lines: kit.lines }).toEqual({
      code: 0,
      lines: [
        'PASS happy-rotation',
        'PASS duplicate-csr-req',
        'PASS resent-crt-res',
        'PASS reconnect',
        'PASS crt-err',
        'PASS rejected-csr',
        `6 of 6 checks passed for ${THING}`,
      ],
    });
    // The agent ends on the certificate the last rotation gave it, still running.
    expect(running.events('rotated').length).toBeGreaterThanOrEqual(5);
    expect(running.child.exitCode).toBeNull();
    const held = await thingCertificateIds(env.local, THING);
    expect(held).toHaveLength(1);
    expect(await certificateStatus(env.local, held[0] ?? '')).toBe('ACTIVE');
    expect(running.events('connected').at(-1)?.certificateId).toBe(held[0]);
    // The kit removed its own certificate and policies.
    const { policies } = await env.local.clients.iot.send(new ListPoliciesCommand({}));
    expect((policies ?? []).map((p) => p.policyName)).toEqual(['recert-device']);
    const { certificates } = await env.local.clients.iot.send(new ListCertificatesCommand({}));
    expect((certificates ?? []).filter((c) => c.status === 'ACTIVE').map((c) => c.certificateId)).toEqual(
      held,
    );
  }, 1_500_000);
});
