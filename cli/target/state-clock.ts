/**
 * A state directory remembers its clock (`clock.json`: speed, and what the clock read at a wall
 * time), so the next run of the local AWS on it continues from there instead of jumping back to
 * the wall clock: records, certificates and audits keep the order they were written in.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ScaledClock } from '../../lib/clock.ts';

export const CLOCK_FILE = 'clock.json';
/** How often a running local AWS records its clock (a killed process loses at most this much). */
const SAVE_EVERY_MS = 1_000;

const SavedClock = z.object({
  speed: z.number().positive(),
  /** The clock's time (epoch ms) when it was saved. */
  clockAt: z.number(),
  /** The wall time (epoch ms) when it was saved. */
  wallAt: z.number(),
});
export type SavedClock = z.infer<typeof SavedClock>;

/** The clock a state directory saved, or undefined (none yet, or unreadable: the wall clock then). */
export function readSavedClock(stateDir: string): SavedClock | undefined {
  try {
    const parsed = SavedClock.safeParse(JSON.parse(readFileSync(join(stateDir, CLOCK_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface ChosenClock {
  readonly clock: ScaledClock;
  readonly speed: number;
  /** How the clock was chosen, for the start-up banner. */
  readonly description: string;
}

/**
 * The clock of a run: the saved one continued from where it stopped (never behind the wall clock),
 * at `speed` if given else the saved speed; the wall clock when nothing was saved or `reset`.
 */
export function chooseClock(stateDir: string, options: { speed?: number; reset?: boolean }): ChosenClock {
  const saved = options.reset === true ? undefined : readSavedClock(stateDir);
  const wall = Date.now();
  if (saved === undefined || saved.clockAt <= wall) {
    const speed = options.speed ?? saved?.speed ?? 1;
    return {
      clock: new ScaledClock(speed, wall, wall),
      speed,
      description: `the wall clock at speed ${speed}${options.reset === true ? ' (--clock-reset)' : ''}`,
    };
  }
  const speed = options.speed ?? saved.speed;
  const ahead = Math.round((saved.clockAt - wall) / 60_000);
  return {
    clock: new ScaledClock(speed, saved.clockAt, wall),
    speed,
    description: `continues this state directory's clock from ${new Date(saved.clockAt).toISOString()} (${ahead} min ahead of the wall clock) at speed ${speed}; --clock-reset starts from the wall clock`,
  };
}

async function save(stateDir: string, clock: ScaledClock): Promise<void> {
  const saved: SavedClock = { speed: clock.speed, clockAt: clock.now(), wallAt: Date.now() };
  const path = join(stateDir, CLOCK_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(saved));
  await rename(`${path}.tmp`, path);
}

/** Records the clock now and every few seconds until the returned function (which records it once more). */
export function keepSavingClock(stateDir: string, clock: ScaledClock): () => Promise<void> {
  const failures = (): undefined => undefined;
  void save(stateDir, clock).catch(failures);
  const timer = setInterval(() => void save(stateDir, clock).catch(failures), SAVE_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await save(stateDir, clock).catch(failures);
  };
}

/**
 * The time on the local AWS's clock as its state directory last saved it, advanced at its speed
 * (wall time when nothing was saved): what `--since` and ages are measured against with --local.
 */
export function localClockNow(stateDir: string): () => number {
  const saved = readSavedClock(stateDir);
  if (saved === undefined) return Date.now;
  return () => saved.clockAt + (Date.now() - saved.wallAt) * saved.speed;
}
