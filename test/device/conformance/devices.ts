import { readFile } from 'node:fs/promises';
import { type DeviceBehaviour, honestBehaviour } from '../../../device/agent/behaviour.ts';
import { DeviceAgent } from '../../../device/agent/device-agent.ts';
import type { AgentEvent } from '../../../device/agent/events.ts';
import { MemoryCredentialStore } from '../../../device/agent/memory-credential-store.ts';
import type { LocalAws } from '../../../local/stack/local-aws.ts';

/**
 * Devices for the conformance kit's tests: the reference agent, and agents built from its parts
 * that break the protocol in one way each.
 */

/** Acknowledges the certificate over its old connection, never using the new one. */
export const acksOverOldCertificate: DeviceBehaviour = {
  ...honestBehaviour,
  name: 'acks-over-old-certificate',
  onCertificate: () => 'ack-over-old',
};

/** Sends a CSR with the key of its current certificate. */
export const reusesItsKey: DeviceBehaviour = {
  ...honestBehaviour,
  name: 'reuses-its-key',
  onCsrRequest: (context) => ({
    key: 'current',
    commonName: context.thingName,
    replyRotationId: context.rotationId,
    replyThingName: context.thingName,
  }),
};

/** Answers csr_req, then never acknowledges a certificate. */
export const neverAcks: DeviceBehaviour = {
  ...honestBehaviour,
  name: 'never-acks',
  onCertificate: () => 'ignore',
};

export interface TestDevice {
  readonly agent: DeviceAgent;
  readonly events: AgentEvent[];
}

/** Provisions `thingName` on the local AWS and starts an agent for it, connected. */
export async function startDevice(
  local: LocalAws,
  thingName: string,
  behaviour: DeviceBehaviour = honestBehaviour,
): Promise<TestDevice> {
  const device = await local.iot.provisionDevice({ thingName });
  const agent = new DeviceAgent({
    thingName,
    endpoint: local.endpoints.mqtt,
    serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
    store: new MemoryCredentialStore({
      certificatePem: device.certificatePem,
      privateKeyPem: device.privateKeyPem,
    }),
    behaviour,
    backoff: { initialMs: 50, maxMs: 1_000 },
    timeoutMs: 15_000,
  });
  const events: AgentEvent[] = [];
  agent.onEvent((event) => events.push(event));
  await agent.start();
  return { agent, events };
}
