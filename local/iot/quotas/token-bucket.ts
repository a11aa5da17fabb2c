/** A token bucket on the shared clock: `capacity` tokens, refilled at `ratePerSecond`. */
import type { Clock } from '../../../lib/clock.ts';

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly capacity: number = ratePerSecond,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) {
      throw new RangeError(
        `token bucket needs a positive rate and capacity >= 1, got ${ratePerSecond}/${capacity}`,
      );
    }
    this.tokens = capacity;
    this.updatedAt = clock.now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
