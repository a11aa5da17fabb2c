import { randomUUID } from 'node:crypto';
import type { CertificatePlan, CsrPlan, CsrRequestContext, DeviceBehaviour } from '../agent/behaviour.ts';
import { honestBehaviour } from '../agent/behaviour.ts';

/**
 * The behaviours a simulated device can have. Each is a small strategy the agent consults; the
 * honest protocol lives in the agent, these only change a decision.
 */
export const BEHAVIOUR_NAMES = [
  'healthy',
  'offline',
  'flaky',
  'crt_err',
  'silent',
  'csr_other_thing',
  'weak_key',
  'old_key',
  'ack_over_old',
  'replayed_rotation_id',
  'forged_rotation_id',
  'foreign_topic',
] as const;
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number];

/** Behaviours that try to cheat the cloud; the cloud must refuse every one without harm to others. */
export const MALICIOUS_BEHAVIOURS: readonly BehaviourName[] = [
  'csr_other_thing',
  'weak_key',
  'old_key',
  'ack_over_old',
  'replayed_rotation_id',
  'forged_rotation_id',
  'foreign_topic',
];

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

export function createBehaviour(
  name: BehaviourName,
  settings: BehaviourSettings = DEFAULT_BEHAVIOUR_SETTINGS,
): DeviceBehaviour {
  switch (name) {
    case 'healthy':
      return honestBehaviour;
    case 'offline': {
      let back: number | undefined;
      return {
        name,
        offlineUntil: (now) => {
          back ??= now + settings.offlineMs;
          return now < back ? back : undefined;
        },
        onCsrRequest: honestPlan,
        onCertificate: () => 'ack',
      };
    }
    case 'flaky': {
      let drops = 0;
      return {
        name,
        linkDropAfter: (random) => {
          if (drops >= settings.maxLinkDrops) return undefined;
          drops += 1;
          return settings.minLinkUpMs + random() * (settings.maxLinkUpMs - settings.minLinkUpMs);
        },
        onCsrRequest: honestPlan,
        onCertificate: () => 'ack',
      };
    }
    case 'crt_err': {
      let refused = 0;
      return {
        name,
        onCsrRequest: honestPlan,
        onCertificate: (): CertificatePlan => {
          if (refused >= settings.rejections) return 'ack';
          refused += 1;
          return 'reject';
        },
      };
    }
    case 'silent': {
      let answered = false;
      return {
        name,
        onCsrRequest: (context) => {
          if (answered) return 'ignore';
          answered = true;
          return honestPlan(context);
        },
        onCertificate: () => 'ignore',
      };
    }
    case 'csr_other_thing':
      return {
        name,
        onCsrRequest: (context) => ({ ...honestPlan(context), commonName: victimOf(context, settings) }),
        onCertificate: () => 'ack',
      };
    case 'weak_key':
      return {
        name,
        onCsrRequest: (context) => ({ ...honestPlan(context), key: 'weak', weakKeyType: 'rsa-1024' }),
        onCertificate: () => 'ack',
      };
    case 'old_key':
      return {
        name,
        onCsrRequest: (context) => ({ ...honestPlan(context), key: 'current' }),
        onCertificate: () => 'ack',
      };
    case 'ack_over_old':
      return { name, onCsrRequest: honestPlan, onCertificate: () => 'ack-over-old' };
    case 'replayed_rotation_id':
      // The cloud repeats a request under the same id and starts a new attempt under a new id. This
      // device answers the first attempt honestly, refuses its certificate to force a new attempt,
      // and answers every later attempt with the first attempt's id.
      return {
        name,
        onCsrRequest: (context) => {
          const earlier = context.history.find((id) => id !== context.rotationId);
          return earlier === undefined
            ? honestPlan(context)
            : { ...honestPlan(context), replyRotationId: earlier };
        },
        onCertificate: () => 'reject',
      };
    case 'forged_rotation_id':
      return {
        name,
        onCsrRequest: (context) => ({ ...honestPlan(context), replyRotationId: randomUUID() }),
        onCertificate: () => 'ack',
      };
    case 'foreign_topic':
      return {
        name,
        onCsrRequest: (context) => {
          const victim = victimOf(context, settings);
          return { ...honestPlan(context), commonName: victim, replyThingName: victim };
        },
        onCertificate: () => 'ack',
      };
  }
}
