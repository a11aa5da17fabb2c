/** The fleet benchmark's figures as the console shows them. */
import type { FleetBenchmark } from './fleet.ts';
import type { FloorResult } from './floor.ts';
import type { SdkCallResult } from './sdk-call.ts';

const MIB = 2 ** 20;
const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The cheapest AWS SDK call this machine makes (see sdk-call.ts). */
export function printSdkCall(call: SdkCallResult): void {
  console.log(
    `one AWS SDK call over loopback (both ends, median of ${call.calls}-call rounds): ${call.cpuMicrosPerCall} µs CPU, ` +
      `${call.wallMicrosPerCall} µs elapsed with ten in flight`,
  );
}

export function printFloor(floor: FloorResult): void {
  console.log(
    `floor of one rotation (median of ${floor.samples.crypto} crypto / ${floor.samples.handshakes} handshake samples)`,
  );
  console.log(
    `  EC P-256 key ${floor.keyGenerationMs} ms, CSR sign ${floor.csrSignatureMs} + verify ${floor.csrVerificationMs} ms, ` +
      `certificate sign ${floor.certificateSignatureMs} + verify ${floor.certificateVerificationMs} ms, ` +
      `mutual-TLS handshake ${floor.mutualTlsHandshakeMs} ms (x2)`,
  );
  console.log(
    `  = ${floor.perRotationMs} ms elapsed, ${floor.perRotationCpuMs} ms CPU per rotation` +
      (floor.roundsPerRotationMs
        ? ` (the lowest of ${floor.roundsPerRotationMs.length} rounds: ${floor.roundsPerRotationMs.join(', ')} ms)`
        : ''),
  );
}

export function printFleet(fleet: FleetBenchmark, sdkCall?: SdkCallResult): void {
  console.log('fleet rotations on the local AWS (no quotas, real-time clock, healthy devices)');
  console.log(`  ${fleet.rotationTimeDefinition}`);
  for (const s of fleet.sizes) {
    const p = s.perRotation;
    console.log(
      `  ${s.size} devices: ${s.rotationsPerSecond} rotations/s (${(s.wallMs / 1000).toFixed(1)} s from audit to last SUCCEEDED)`,
    );
    console.log(
      `    rotation p50 ${s.rotationMs.p50} ms, p95 ${s.rotationMs.p95} ms (execution p50 ${s.rotationMs.executionP50} ms, device's share p50 ${s.rotationMs.deviceWaitP50} ms)`,
    );
    console.log(
      `    peak RSS: stack ${(s.memory.stackPeakRssBytes / MIB).toFixed(0)} MiB, fleet ${(s.memory.fleetPeakRssBytes / MIB).toFixed(0)} MiB; ` +
        `CPU per rotation: stack ${s.cpuMsPerRotation.stack} ms` +
        (s.cpuMsPerRotation.stackMainThread === undefined
          ? ''
          : ` (services' thread ${s.cpuMsPerRotation.stackMainThread} ms)`) +
        `, fleet ${s.cpuMsPerRotation.fleet} ms`,
    );
    console.log(
      `    per rotation: ${p.billedStateTransitions} billed transitions (max ${p.billedStateTransitionsMax}), ` +
        `${p.lambdaInvocations} Lambda invocations, ${p.dynamodbWrites} DynamoDB writes, ${p.dynamodbReads} reads`,
    );
    const iotRequests = Object.entries(p.iotApiCalls)
      .filter(([operation]) => !operation.startsWith('MQTT:'))
      .reduce((n, [, calls]) => n + calls, 0);
    const requests = p.dynamodbWrites + p.dynamodbReads + iotRequests;
    console.log(
      `    AWS API requests per rotation: ${round2(requests)} (DynamoDB ${round2(p.dynamodbWrites + p.dynamodbReads)}, ` +
        `IoT ${round2(iotRequests)}; Step Functions' SendTaskSuccess and StartExecution come on top)` +
        (sdkCall
          ? `: at ${sdkCall.cpuMicrosPerCall} µs of CPU for the cheapest SDK call, ${round2((requests * sdkCall.cpuMicrosPerCall) / 1000)} ms`
          : ''),
    );
    console.log(
      `    vs the floor: ${s.floorRatio}x in elapsed time per rotation, ${s.cpuFloorRatio}x in CPU time per rotation`,
    );
    console.log(
      `    AWS cost per 1,000,000 rotations (${fleet.prices.region}, prices of ${fleet.prices.readOn}): $${s.costPerMillionRotationsUsd.total.toFixed(2)}`,
    );
  }
}
