import { randomUUID } from 'node:crypto';
import type { CertificatePlan, CsrPlan, CsrRequestContext, DeviceBehaviour } from '../agent/behaviour.ts';
import { honestBehaviour } from '../agent/behaviour.ts';

/** Behaviours that try to cheat the cloud; the cloud must refuse every one without harm to others. */
const MALICIOUS = [
  'csr_other_thing',
  'weak_key',
  'old_key',
  'ack_over_old',
  'replayed_rotation_id',
  'forged_rotation_id',
  'foreign_topic',
] as const;

/**
 * The behaviours a simulated device can have. Each is a small strategy the agent consults; the
 * honest protocol lives in the agent, these only change a decision.
 */
export const BEHAVIOUR_NAMES = ['healthy', 'offline', 'flaky', 'crt_err', 'silent', ...MALICIOUS] as const;
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number];

export const MALICIOUS_BEHAVIOURS: readonly BehaviourName[] = MALICIOUS;

export function isBehaviourName(value: string): value is BehaviourName {
  return (BEHAVIOUR_NAMES as readonly string[]).includes(value);
}

export interface BehaviourSettings {
  /** offline: how long (clock ms) the device stays away from its first connection attempt on. */
  readonly offlineMs: number;
  /** flaky: at most this many link drops in the device's life. */
  readonly maxLinkDrops: number;
  /** flaky: a link lives between these (clock ms) before it drops. */
  readonly minLinkUpMs: number;
  readonly maxLinkUpMs: number;
  /** crt_err: how many delivered certificates are refused before one is accepted. */
  readonly rejections: number;
  /** csr_other_thing and foreign_topic: the thing whose identity or topics are abused. */
  readonly victimThingName?: string;
}

export const DEFAULT_BEHAVIOUR_SETTINGS: BehaviourSettings = {
  offlineMs: 60 * 60_000,
  maxLinkDrops: 3,
  minLinkUpMs: 30_000,
  maxLinkUpMs: 5 * 60_000,
  rejections: 1,
};

const honestPlan = (context: CsrRequestContext): CsrPlan => ({
  key: 'fresh',
  commonName: context.thingName,
  replyRotationId: context.rotationId,
  replyThingName: context.thingName,
});

function victimOf(context: CsrRequestContext, settings: BehaviourSettings): string {
  return settings.victimThingName ?? `${context.thingName.slice(0, 120)}-victim`;
}

/** The honest device but for the decisions given: each misbehaviour changes one or two of them. */
function honestBut(name: BehaviourName, changes: Partial<Omit<DeviceBehaviour, 'name'>>): DeviceBehaviour {
  return { name, onCsrRequest: honestPlan, onCertificate: () => 'ack', ...changes };
}

/** True for the first `times` calls, false after: how a misbehaviour wears off. */
function firstTimes(times: number): () => boolean {
  let used = 0;
  return () => {
    if (used >= times) return false;
    used += 1;
    return true;
  };
}

export function createBehaviour(
  name: BehaviourName,
  settings: BehaviourSettings = DEFAULT_BEHAVIOUR_SETTINGS,
): DeviceBehaviour {
  switch (name) {
    case 'healthy':
      return honestBehaviour;
    case 'offline': {
      let back: number | undefined;
      return honestBut(name, {
        offlineUntil: (now) => {
          back ??= now + settings.offlineMs;
          return now < back ? back : undefined;
        },
      });
    }
    case 'flaky': {
      const drop = firstTimes(settings.maxLinkDrops);
      return honestBut(name, {
        linkDropAfter: (random) =>
          drop()
            ? settings.minLinkUpMs + random() * (settings.maxLinkUpMs - settings.minLinkUpMs)
            : undefined,
      });
    }
    case 'crt_err': {
      const refuse = firstTimes(settings.rejections);
      return honestBut(name, { onCertificate: (): CertificatePlan => (refuse() ? 'reject' : 'ack') });
    }
    case 'silent': {
      const answer = firstTimes(1);
      return honestBut(name, {
        onCsrRequest: (context) => (answer() ? honestPlan(context) : 'ignore'),
        onCertificate: () => 'ignore',
      });
    }
    case 'csr_other_thing':
      return honestBut(name, {
        onCsrRequest: (context) => ({ ...honestPlan(context), commonName: victimOf(context, settings) }),
      });
    case 'weak_key':
      return honestBut(name, {
        onCsrRequest: (context) => ({ ...honestPlan(context), key: 'weak', weakKeyType: 'rsa-1024' }),
      });
    case 'old_key':
      return honestBut(name, { onCsrRequest: (context) => ({ ...honestPlan(context), key: 'current' }) });
    case 'ack_over_old':
      return honestBut(name, { onCertificate: () => 'ack-over-old' });
    case 'replayed_rotation_id':
      // The cloud repeats a request under the same id and starts a new attempt under a new id. This
      // device answers the first attempt honestly, refuses its certificate to force a new attempt,
      // and answers every later attempt with the first attempt's id.
      return honestBut(name, {
        onCsrRequest: (context) => {
          const earlier = context.history.find((id) => id !== context.rotationId);
          return earlier === undefined
            ? honestPlan(context)
            : { ...honestPlan(context), replyRotationId: earlier };
        },
        onCertificate: () => 'reject',
      });
    case 'forged_rotation_id':
      return honestBut(name, {
        onCsrRequest: (context) => ({ ...honestPlan(context), replyRotationId: randomUUID() }),
      });
    case 'foreign_topic':
      return honestBut(name, {
        onCsrRequest: (context) => {
          const victim = victimOf(context, settings);
          return { ...honestPlan(context), commonName: victim, replyThingName: victim };
        },
      });
  }
}
