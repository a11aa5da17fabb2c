import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeCertificateCommand,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { type FleetOptions, FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import { LocalIotProvisioner } from '../../device/fleet/local-iot-provisioner.ts';
import type { SimulatedDevice } from '../../device/fleet/simulated-device.ts';
import { LocalAws, type LocalAwsOptions } from '../../local/stack/local-aws.ts';

export const ANY_PORTS = { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } as const;

export async function startLocal(
  options: Partial<LocalAwsOptions> = {},
): Promise<{ local: LocalAws; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'recert-e2e-'));
  const local = await LocalAws.start({ stateDir: dir, ports: ANY_PORTS, ...options });
  return { local, dir };
}

export async function stopLocal(env: { local: LocalAws; dir: string } | undefined): Promise<void> {
  if (!env) return;
  await env.local.close();
  await rm(env.dir, { recursive: true, force: true });
}

/** A fleet simulator on the local AWS's broker, registry and clock, with any further options given. */
export async function fleetOn(
  local: LocalAws,
  options: Omit<FleetOptions, 'endpoint' | 'serverCaPem' | 'provisioner' | 'clock'> = {},
): Promise<FleetSimulator> {
  return new FleetSimulator({
    endpoint: local.endpoints.mqtt,
    serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
    provisioner: new LocalIotProvisioner(local.iot),
    clock: local.clock,
    ...options,
  });
}

/** Polls until `check` returns a value (not undefined), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until an execution is no longer RUNNING and returns its description. The retire step
 * completes the rotation record as its last write, so the record reads SUCCEEDED a moment before
 * the execution itself ends.
 */
export async function executionEnded(
  local: LocalAws,
  executionArn: string,
): Promise<DescribeExecutionOutput> {
  return eventually(`${executionArn} to end`, async () => {
    const execution = await local.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === 'RUNNING' ? undefined : execution;
  });
}

export async function rotationRecord(
  local: LocalAws,
  thingName: string,
): Promise<Record<string, unknown> | undefined> {
  const result = await local.clients.documents.send(
    new GetCommand({
      TableName: local.resources.rotationTableName,
      Key: { thingName },
      ConsistentRead: true,
    }),
  );
  return result.Item;
}

/** The certificate ids attached to a thing, as IoT Core's registry says. */
export async function thingCertificateIds(local: LocalAws, thingName: string): Promise<string[]> {
  const { principals } = await local.clients.iot.send(new ListThingPrincipalsCommand({ thingName }));
  return (principals ?? []).map((arn) => arn.slice(arn.lastIndexOf('/') + 1)).sort();
}

export async function certificateStatus(local: LocalAws, certificateId: string): Promise<string> {
  try {
    const { certificateDescription } = await local.clients.iot.send(
      new DescribeCertificateCommand({ certificateId }),
    );
    return certificateDescription?.status ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return 'DELETED';
    throw error;
  }
}

export async function certificatePolicies(local: LocalAws, certificateId: string): Promise<string[]> {
  const arn = `arn:aws:iot:${local.resources.region}:${local.resources.accountId}:cert/${certificateId}`;
  const { policies } = await local.clients.iot.send(new ListAttachedPoliciesCommand({ target: arn }));
  return (policies ?? []).map((p) => p.policyName ?? '').sort();
}

const DAY_MS = 86_400_000;

/** One healthy device named `<prefix>-0`, provisioned (not started), its certificate valid for `days`. */
export async function provisionOne(fleet: FleetSimulator, local: LocalAws, prefix: string, days: number) {
  const now = local.clock.now();
  const [device] = await fleet.provision(
    planFleet({
      size: 1,
      mix: parseBehaviourMix('healthy=100'),
      prefix,
      validity: () => ({ notBefore: new Date(now - DAY_MS), notAfter: new Date(now + days * DAY_MS) }),
    }),
  );
  if (!device) throw new Error('no device provisioned');
  return device;
}

/** Waits until the fleet's device is connected. */
export async function untilConnected(fleet: FleetSimulator, device: SimulatedDevice): Promise<void> {
  await eventually(`${device.thingName} connected`, async () =>
    fleet.device(device.thingName)?.state().connected ? true : undefined,
  );
}
