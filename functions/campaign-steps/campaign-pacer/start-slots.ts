import { type Clock, sleepUntil } from '../../../lib/clock.ts';

/**
 * Spreads starts evenly at `perSecond`: start n may begin 1/perSecond after start n-1 and no sooner.
 * Unused time is not saved up, so an idle pause never turns into a burst of a whole second's budget.
 * The first slot is one spacing after the slots are made: the previous pacer turn may have started
 * a rotation just before it ended, and its slots are gone with it.
 */
export class StartSlots {
  private next: number;
  private readonly spacingMs: number;

  constructor(
    private readonly clock: Clock,
    perSecond: number,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
      throw new RangeError(`a start rate must be a positive number, not ${perSecond}`);
    }
    this.spacingMs = 1000 / perSecond;
    this.next = clock.now() + this.spacingMs;
  }

  /** The time of the next free slot; reserving it moves the one after by the spacing. */
  reserve(): number {
    const at = Math.max(this.next, this.clock.now());
    this.next = at + this.spacingMs;
    return at;
  }

  /** Waits for the next slot. */
  async take(): Promise<void> {
    await sleepUntil(this.clock, this.reserve());
  }
}
