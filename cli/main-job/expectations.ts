import { type BehaviourName, MALICIOUS_BEHAVIOURS } from '../../device/index.ts';

/**
 * What a correct recert does with each simulated behaviour. Honest devices end rotated, however
 * late or unreliable they are; a device that stops answering or cheats must not end with a new
 * certificate it could use, and keeps the one it has.
 */
export type ExpectedOutcome = 'rotate' | 'refuse';

export function expectedOutcome(behaviour: BehaviourName): ExpectedOutcome {
  if (behaviour === 'silent' || MALICIOUS_BEHAVIOURS.includes(behaviour)) return 'refuse';
  return 'rotate';
}
