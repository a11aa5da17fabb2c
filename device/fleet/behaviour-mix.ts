import { namedError } from '../../lib/named-error.ts';
import { BEHAVIOUR_NAMES, type BehaviourName, isBehaviourName } from './behaviours.ts';
import { seededRandom } from './seeded-random.ts';

/** A fleet's behaviours and their weights, e.g. `healthy=90,offline=5,crt_err=5`. */
export type BehaviourMix = ReadonlyMap<BehaviourName, number>;

export class BehaviourMixError extends namedError('BehaviourMixError') {}

/**
 * Parses `name=weight,...`. Weights are non-negative numbers, relative to their sum (they need not
 * add up to 100); a name may appear once. Throws BehaviourMixError naming the faulty part.
 */
export function parseBehaviourMix(spec: string): BehaviourMix {
  const mix = new Map<BehaviourName, number>();
  const parts = spec.split(',').map((part) => part.trim());
  if (spec.trim() === '') throw new BehaviourMixError('the behaviour mix is empty');
  for (const part of parts) {
    const match = /^([a-z_]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(part);
    if (!match?.[1] || match[2] === undefined) {
      throw new BehaviourMixError(`"${part}" is not name=weight (e.g. healthy=90)`);
    }
    const name = match[1];
    if (!isBehaviourName(name)) {
      throw new BehaviourMixError(`unknown behaviour "${name}"; known: ${BEHAVIOUR_NAMES.join(', ')}`);
    }
    if (mix.has(name)) throw new BehaviourMixError(`behaviour "${name}" appears twice`);
    mix.set(name, Number(match[2]));
  }
  const total = [...mix.values()].reduce((sum, weight) => sum + weight, 0);
  if (!(total > 0)) throw new BehaviourMixError('the behaviour weights add up to 0');
  return mix;
}

export function formatBehaviourMix(mix: BehaviourMix): string {
  return [...mix].map(([name, weight]) => `${name}=${weight}`).join(',');
}

/**
 * How many of `size` devices get each behaviour: proportional to the weights, rounded by largest
 * remainder so the counts add up to exactly `size`.
 */
export function behaviourCounts(mix: BehaviourMix, size: number): Map<BehaviourName, number> {
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`fleet size must be a whole number, got ${size}`);
  const total = [...mix.values()].reduce((sum, weight) => sum + weight, 0);
  const shares = [...mix].map(([name, weight], order) => {
    const exact = (weight / total) * size;
    return { name, count: Math.floor(exact), remainder: exact - Math.floor(exact), order };
  });
  let left = size - shares.reduce((sum, share) => sum + share.count, 0);
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder || a.order - b.order)) {
    if (left <= 0) break;
    share.count += 1;
    left -= 1;
  }
  return new Map(shares.map((share) => [share.name, share.count]));
}

/** One behaviour per device index, in a shuffled but seed-determined order. */
export function assignBehaviours(mix: BehaviourMix, size: number, seed = 1): BehaviourName[] {
  const out: BehaviourName[] = [];
  for (const [name, count] of behaviourCounts(mix, size)) {
    for (let i = 0; i < count; i += 1) out.push(name);
  }
  const random = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) {
      out[i] = b;
      out[j] = a;
    }
  }
  return out;
}
