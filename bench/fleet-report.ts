/** The fleet benchmark's figures as the console shows them. */
import type { FleetBenchmark } from './fleet.ts';
import type { FloorResult } from './floor.ts';

const MIB = 2 ** 20;

export function printFloor(floor: FloorResult): void {
  console.log(
    `floor of one rotation (median of ${floor.samples.crypto} crypto / ${floor.samples.handshakes} handshake samples)`,
  );
  console.log(
    `  EC P-256 key ${floor.keyGenerationMs} ms, CSR sign ${floor.csrSignatureMs} + verify ${floor.csrVerificationMs} ms, ` +
      `certificate sign ${floor.certificateSignatureMs} + verify ${floor.certificateVerificationMs} ms, ` +
      `mutual-TLS handshake ${floor.mutualTlsHandshakeMs} ms (x2)`,
  );
  console.log(`  = ${floor.perRotationMs} ms elapsed, ${floor.perRotationCpuMs} ms CPU per rotation`);
}

export function printFleet(fleet: FleetBenchmark): void {
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
    console.log(
      `    vs the floor: ${s.floorRatio}x in elapsed time per rotation, ${s.cpuFloorRatio}x in CPU time per rotation`,
    );
    console.log(
      `    AWS cost per 1,000,000 rotations (${fleet.prices.region}, prices of ${fleet.prices.readOn}): $${s.costPerMillionRotationsUsd.total.toFixed(2)}`,
    );
  }
}
