import { AttachPolicyCommand, CreatePolicyCommand, StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { derivePacing } from '../../workflows/campaign/pacing.ts';
import { QUOTED_APIS, type QuotedApi } from '../../workflows/campaign/quotas.ts';
import {
  type ApiCalls,
  rotationApiCalls,
  startApiCalls,
  sumApiCalls,
} from '../../workflows/rotate-device/api-calls.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { eventually, provisionOne, rotationRecord, untilConnected } from '../e2e/helpers.ts';
import { untilUnchanged, useLocalFleet } from './helpers/local-fleet.ts';

/** The quoted IoT APIs as the local IoT names its counters. */
function localCounterOf(api: QuotedApi): readonly string[] | undefined {
  if (!api.startsWith('iot:')) return undefined;
  if (api === 'iot:Connect') return ['MQTT:Connect'];
  // AWS's publish quota counts inbound messages: the data-plane Publish API and devices' PUBLISH.
  if (api === 'iot:Publish') return ['Publish', 'MQTT:Publish'];
  return [api.slice('iot:'.length)];
}

/** The quoted IoT APIs called between two snapshots of the local IoT's counters (0 when not called). */
function quotedIotCalls(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const api of QUOTED_APIS) {
    const names = localCounterOf(api);
    if (!names) continue;
    calls[api] = names.reduce((sum, name) => sum + (after[name] ?? 0) - (before[name] ?? 0), 0);
  }
  return calls;
}

/** The table's IoT entries, with every quoted IoT API present (0 when the table has none). */
function iotEntries(...tables: ApiCalls[]): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const api of QUOTED_APIS) {
    if (!localCounterOf(api)) continue;
    calls[api] = tables.reduce((sum, table) => sum + (table[api] ?? 0), 0);
  }
  return calls;
}

describe('the IoT calls of one rotation, counted by the local IoT', () => {
  const aws = useLocalFleet();

  /** Waits until the rotation succeeded, the device uses its new certificate and nothing moves. */
  async function settled(thingName: string, oldId: string): Promise<Record<string, number>> {
    const { local } = aws;
    const fleet = await aws.fleet();
    // Read from the record, not from IoT: the test's own IoT calls would be counted.
    const record = await eventually(`${thingName} rotated`, async () => {
      const r = await rotationRecord(local, thingName);
      return r?.status === 'SUCCEEDED' ? r : undefined;
    });
    const newId = record.newCertificateId;
    expect(newId).toEqual(expect.any(String));
    expect(newId).not.toBe(oldId);
    await eventually(`${thingName} connected with its new certificate`, async () => {
      const s = fleet.device(thingName)?.state();
      return s?.connected && s.certificateId === newId ? s : undefined;
    });
    await untilUnchanged(() => JSON.stringify(local.iot.apiCallCounts()));
    return local.iot.apiCallCounts();
  }

  it('equal the table for a device with one policy, started by hand', async () => {
    // Prepare: one connected device whose certificate has the device policy only.
    const { local } = aws;
    const device = await aws.connectedDevice('calls-one', 365);
    const before = local.iot.apiCallCounts();

    // Act: an operator starts the rotation directly (no starter's lookups).
    await local.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.resources.stateMachineArn,
        name: executionName(device.thingName, device.initialCertificateId),
        input: JSON.stringify({ thingName: device.thingName, oldCertificateId: device.initialCertificateId }),
      }),
    );
    const after = await settled(device.thingName, device.initialCertificateId);

    // Assess
    const calls = quotedIotCalls(before, after);
    expect(calls).toEqual(iotEntries(rotationApiCalls(1)));
    // The floor, whatever the table says: the 10 TPS APIs once each, no thing lookup.
    expect(calls['iot:UpdateCertificate']).toBe(1);
    expect(calls['iot:DeleteCertificate']).toBe(1);
    expect(calls['iot:DescribeCertificate']).toBe(1);
    expect(calls['iot:ListThingPrincipals']).toBe(0);
    expect(calls['iot:ListAttachedPolicies']).toBe(1);
  });

  it('equal the table for a device with two policies, started by an audit', async () => {
    // Prepare: a device whose certificate expires in 10 days and carries a second policy.
    const { local } = aws;
    const fleet = await aws.fleet();
    const device = await provisionOne(fleet, local, 'calls-two', 10);
    const { region, accountId } = local.resources;
    await local.clients.iot.send(
      new CreatePolicyCommand({
        policyName: 'calls-telemetry',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'iot:Publish',
              Resource: [`arn:aws:iot:${region}:${accountId}:topic/telemetry/${device.thingName}`],
            },
          ],
        }),
      }),
    );
    await local.clients.iot.send(
      new AttachPolicyCommand({
        policyName: 'calls-telemetry',
        target: `arn:aws:iot:${region}:${accountId}:cert/${device.initialCertificateId}`,
      }),
    );
    await device.start();
    await untilConnected(fleet, device);
    const before = local.iot.apiCallCounts();

    // Act: the audit finds the expiring certificate and its notification starts the rotation.
    await local.clients.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    const after = await settled(device.thingName, device.initialCertificateId);

    // Assess: the rotation's own calls plus what the starter spends on it.
    expect(quotedIotCalls(before, after)).toEqual(iotEntries(rotationApiCalls(2), startApiCalls()));
  });
});

describe('the pacing the call tables give', () => {
  it('starts 9.5 rotations per second at AWS defaults: each 10 TPS API is called once per rotation', () => {
    // Act
    const pacing = derivePacing();
    // Assess: 10 rotations/s (the floor of one UpdateCertificate and one DeleteCertificate) x 0.95.
    expect(pacing.limitedBy.rotationsPerSecond).toBe(10);
    expect(pacing.startsPerSecond).toBeCloseTo(9.5, 9);
    const tenTps = pacing.limits.filter((l) => l.quota === 10).map((l) => [l.api, l.callsPerRotation]);
    expect(tenTps).toEqual([
      ['iot:DeleteCertificate', 1],
      ['iot:DescribeCertificate', 1],
      ['iot:ListPrincipalThings', 1],
      ['iot:UpdateCertificate', 1],
    ]);
  });

  it("counts the start's calls with the rotation's, and each policy's attach and detach", () => {
    // Act
    const two = derivePacing({ policiesPerCertificate: 2 });
    // Assess
    expect(sumApiCalls(rotationApiCalls(2), startApiCalls())).toMatchObject({
      'iot:ListPrincipalThings': 1,
      'states:StartExecution': 1,
      'iot:AttachPolicy': 2,
      'iot:DetachPolicy': 2,
    });
    expect(two.limitedBy).toMatchObject({
      api: 'iot:AttachPolicy',
      callsPerRotation: 2,
      rotationsPerSecond: 7.5,
    });
    expect(() => rotationApiCalls(-1)).toThrow(RangeError);
    expect(() => rotationApiCalls(1, 'vault' as never)).toThrow(/issuer must be one of aws-iot, acm-pca/);
  });
});
