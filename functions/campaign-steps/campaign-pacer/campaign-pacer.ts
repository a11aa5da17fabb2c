import type { IoTClient } from '@aws-sdk/client-iot';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type Clock, sleepFor } from '../../../lib/clock.ts';
import { RecertCampaignStopped } from '../../../workflows/campaign/errors.ts';
import { PaceEvent, type PaceResult, type PaceStatus } from '../../../workflows/campaign/events.ts';
import { InvalidStepInput } from '../../../workflows/rotate-device/errors.ts';
import type { CampaignMeta, CampaignStore } from '../../shared/campaign-store.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { parseStepInput } from '../../shared/step-input.ts';
import { failureRateBreach, inFlight } from './failure-rate.ts';
import { handOver } from './hand-over.ts';
import { startBatch } from './start-batch.ts';
import { type StartTally, startRotation } from './start-rotation.ts';
import { StartSlots } from './start-slots.ts';

/** What the pacer does with the campaign table. */
export type PacerStore = Pick<
  CampaignStore,
  'getMeta' | 'queue' | 'commitStarts' | 'markStartedAll' | 'stop' | 'handOver'
>;

export interface PacerDeps {
  readonly store: PacerStore;
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  readonly clock: Clock;
  readonly log: Log;
  readonly counter: Counter;
  /** The rotate-device state machine. */
  readonly rotationStateMachineArn: string;
  /** Region of the IoT certificates. */
  readonly region: string;
  /** How long one invocation keeps starting rotations (ms). */
  readonly tickMs: number;
  /** How often META is read again while waiting for room or for the queue (ms). */
  readonly pollMs?: number;
  /** Starts under way at once. */
  readonly concurrency?: number;
  /**
   * Wall time (ms) left before Lambda stops the invocation. The turn ends while enough is left to
   * commit its starts and hand over, however the turn's length compares on the deps' clock.
   */
  readonly remainingMs?: () => number;
}

/** Wall time kept for the last batch's commit and the hand-over to a fresh execution. */
export const RESERVED_WALL_MS = 20_000;

export const DEFAULT_POLL_MS = 1_000;
export const DEFAULT_CONCURRENCY = 8;
/** One batch covers at most this much time at the start rate, so META (and the ceiling) is read often. */
const BATCH_WINDOW_MS = 2_000;
const BATCH_MAX = 100;

function certificateArnPrefix(stateMachineArn: string, region: string): string {
  const [, partition, , , account] = stateMachineArn.split(':');
  if (!partition || !account) {
    throw new InvalidStepInput(
      `the rotation state machine ARN ${stateMachineArn} has no partition and account`,
    );
  }
  return `arn:${partition}:iot:${region}:${account}:cert/`;
}

/**
 * One turn of the campaign: for up to a tick, starts queued rotations in order, no faster than the
 * start rate and never past the in-flight ceiling; stops the campaign when the failure rate passes
 * its threshold; hands over to a fresh execution on the execution's last turn.
 */
export async function pace(event: unknown, deps: PacerDeps): Promise<PaceResult> {
  const input = parseStepInput(PaceEvent, event, 'campaign-pacer');
  const { campaignId, pacing } = input;
  const clock = deps.clock;
  const deadline = clock.now() + deps.tickMs;
  const pollMs = deps.pollMs ?? DEFAULT_POLL_MS;
  const slots = new StartSlots(clock, pacing.startsPerSecond);
  const totals: StartTally = { started: 0, alreadyStarted: 0, skipped: 0 };
  const startDeps = {
    iot: deps.iot,
    sfn: deps.sfn,
    log: deps.log,
    counter: deps.counter,
    stateMachineArn: deps.rotationStateMachineArn,
    certificateArnPrefix: certificateArnPrefix(deps.rotationStateMachineArn, deps.region),
  };
  const result = (status: PaceStatus): PaceResult => {
    deps.log.info('pacer turn ended', { campaignId, turn: input.turn, status, ...totals });
    return { status, ...totals };
  };
  let last: CampaignMeta | undefined;
  let waiting = false;

  const outOfTime = (): boolean => (deps.remainingMs?.() ?? Number.POSITIVE_INFINITY) < RESERVED_WALL_MS;
  while (clock.now() < deadline && !outOfTime()) {
    const meta = await deps.store.getMeta(campaignId);
    last = meta;
    if (!meta) {
      // The enqueue branch creates META; both branches start together.
      waiting = true;
      await sleepFor(clock, Math.min(pollMs, deadline - clock.now()));
      continue;
    }
    if (meta.generation > input.generation) return result('continued');
    if (meta.status === 'STOPPED') {
      throw new RecertCampaignStopped(meta.stopReason ?? `campaign ${campaignId} was stopped`);
    }
    const breach = failureRateBreach(meta, pacing);
    if (breach) {
      await deps.store.stop(campaignId, breach, clock.now());
      deps.counter.count('CampaignStopped');
      deps.log.error('campaign stopped: failure rate over its threshold', { campaignId, reason: breach });
      throw new RecertCampaignStopped(breach);
    }
    if (meta.status === 'STARTED_ALL') return result('done');
    const available = meta.queued - meta.nextPosition;
    if (available <= 0) {
      if (meta.enqueueDone) {
        await deps.store.markStartedAll(campaignId, clock.now());
        deps.log.info('every queued rotation started', { campaignId, started: meta.started });
        return result('done');
      }
      waiting = true;
      await sleepFor(clock, Math.min(pollMs, deadline - clock.now()));
      continue;
    }
    const room = pacing.maxInFlight - inFlight(meta);
    if (room <= 0) {
      waiting = true;
      await sleepFor(clock, Math.min(pollMs, deadline - clock.now()));
      continue;
    }
    waiting = false;
    const window = Math.min(BATCH_WINDOW_MS, deadline - clock.now());
    const byRate = Math.max(1, Math.floor((pacing.startsPerSecond * window) / 1000));
    const size = Math.min(room, available, byRate, BATCH_MAX);
    const entries = await deps.store.queue(campaignId, meta.nextPosition, meta.queued, size);
    const outcome = await startBatch(entries, slots, deps.concurrency ?? DEFAULT_CONCURRENCY, (entry) =>
      startRotation(campaignId, entry, startDeps),
    );
    const lastDone = entries[outcome.done - 1];
    if (lastDone) {
      const committed = await deps.store.commitStarts({
        campaignId,
        from: meta.nextPosition,
        to: lastDone.position + 1,
        ...outcome.tally,
        now: clock.now(),
      });
      if (committed) {
        totals.started += outcome.tally.started;
        totals.alreadyStarted += outcome.tally.alreadyStarted;
        totals.skipped += outcome.tally.skipped;
      } else {
        deps.log.warn('another pacer moved the start cursor; its count stands', { campaignId });
      }
    }
    if (outcome.error !== undefined) throw outcome.error;
  }

  // An operator's list is in the first execution's input only: that execution hands over once it is
  // all queued (a list of at most 5,000 is queued in its first turn, so this never waits long).
  if (input.lastTurn && last && (last.enqueueDone || last.source.kind === 'audit')) {
    const name = await handOver(
      last,
      { ...input, campaignId },
      { sfn: deps.sfn, store: deps.store, now: () => clock.now() },
    );
    deps.log.info('campaign handed over to a fresh execution', { campaignId, execution: name });
    return result('continued');
  }
  return result(waiting ? 'waiting' : 'running');
}
