import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOCK_FILE, chooseClock, keepSavingClock, readSavedClock } from '../../cli/target/state-clock.ts';

const HOUR = 3_600_000;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recert-clock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the clock a state directory remembers', () => {
  it('is continued where a faster run left it, at its speed, and says so', async () => {
    // Prepare: an earlier run at 60x left the clock two hours ahead of the wall clock.
    const ahead = Date.now() + 2 * HOUR;
    await writeFile(join(dir, CLOCK_FILE), JSON.stringify({ speed: 60, clockAt: ahead, wallAt: Date.now() }));
    // Act
    const chosen = chooseClock(dir, {});
    // Assess
    expect(chosen.speed).toBe(60);
    expect(chosen.clock.now()).toBeGreaterThanOrEqual(ahead);
    expect(chosen.description).toContain("continues this state directory's clock");
  });

  it('runs at a speed asked for, from where it stopped; --clock-reset takes the wall clock', async () => {
    // Prepare
    const ahead = Date.now() + 2 * HOUR;
    await writeFile(join(dir, CLOCK_FILE), JSON.stringify({ speed: 60, clockAt: ahead, wallAt: Date.now() }));
    // Act
    const slower = chooseClock(dir, { speed: 1 });
    const reset = chooseClock(dir, { reset: true });
    // Assess
    expect(slower.speed).toBe(1);
    expect(slower.clock.now()).toBeGreaterThanOrEqual(ahead);
    expect(reset.clock.now()).toBeLessThan(ahead - HOUR);
    expect(reset.speed).toBe(1);
  });

  it('never goes back behind the wall clock, and is saved again when a run stops', async () => {
    // Prepare: a clock saved behind the wall clock (a run at speed 1 long ago).
    await writeFile(
      join(dir, CLOCK_FILE),
      JSON.stringify({ speed: 1, clockAt: Date.now() - HOUR, wallAt: Date.now() - HOUR }),
    );
    const before = Date.now();
    // Act
    const chosen = chooseClock(dir, {});
    const stop = keepSavingClock(dir, chosen.clock);
    await stop();
    // Assess
    expect(chosen.clock.now()).toBeGreaterThanOrEqual(before);
    expect(readSavedClock(dir)?.clockAt).toBeGreaterThanOrEqual(before);
  });
});
