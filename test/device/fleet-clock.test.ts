import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBehaviourMix } from '../../device/fleet/behaviour-mix.ts';
import { type FleetSimulator, planFleet } from '../../device/fleet/fleet-simulator.ts';
import { ScaledClock } from '../../lib/clock.ts';
import { TestBroker } from './helpers/test-broker.ts';
import { fleetOnTestBroker } from './helpers/test-fleet.ts';

const DAY = 86_400_000;

/** Behaviour timings run on the shared clock, so days pass in seconds when the clock is accelerated. */
describe('fleet on an accelerated clock', () => {
  let broker: TestBroker;
  let fleet: FleetSimulator;
  // Three days in about 1.5 s of real time.
  const clock = new ScaledClock((3 * DAY) / 1_500);

  beforeAll(async () => {
    broker = await TestBroker.start();
    fleet = fleetOnTestBroker(broker, {
      clock,
      timeoutMs: 3_000,
      behaviourSettings: {
        offlineMs: 3 * DAY,
        maxLinkDrops: 4,
        minLinkUpMs: 60 * 60_000,
        maxLinkUpMs: 2 * 60 * 60_000,
      },
    });
    await fleet.provision(
      planFleet({
        size: 2,
        mix: parseBehaviourMix('offline=1,flaky=1'),
        prefix: `clock-${randomUUID().slice(0, 6)}`,
        validity: () => ({
          notBefore: new Date(Date.now() - DAY),
          notAfter: new Date(Date.now() + 30 * DAY),
        }),
      }),
    );
  });
  afterAll(async () => {
    await fleet.stop();
    await broker.stop();
  });

  it('an offline device stays away three clock days, then connects; a flaky one drops its link hourly, four times', async () => {
    // Prepare
    const clockStart = clock.now();
    const realStart = Date.now();
    const connectedAt = new Map<string, number>();
    let drops = 0;
    fleet.onEvent((thing, event) => {
      if (event.type === 'connected' && !connectedAt.has(thing)) connectedAt.set(thing, clock.now());
      if (event.type === 'link-dropped') drops += 1;
    });

    // Act
    await fleet.start();
    const deadline = Date.now() + 15_000;
    while ((fleet.snapshot().connected < 2 || drops < 4) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // About fifteen more clock hours: a fifth drop would show up here.
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    const offline = fleet.devices().find((d) => d.behaviourName === 'offline');
    expect(offline?.state().connected).toBe(true);
    expect((connectedAt.get(offline?.thingName ?? '') ?? 0) - clockStart).toBeGreaterThanOrEqual(3 * DAY);
    expect(drops).toBe(4);
    expect(Date.now() - realStart).toBeLessThan(15_000);
  });
});
