import {
  abandonRotation,
  campaignIdArg,
  currentCertificate,
  requireRecord,
  resumeCampaign,
  startRotation,
  stopCampaign,
  thingNameArg,
  UsageError,
} from '../../cli/index.ts';
import type { ConsoleContext } from '../context.ts';
import { redriveThing } from './redrive-thing.ts';
import { runAudit } from './run-audit.ts';

export type Form = ReadonlyMap<string, string>;

export interface ActionResult {
  readonly notice: string;
  /** Where the browser goes next: the page of what was acted on. */
  readonly location: string;
}

type Action = (context: ConsoleContext, form: Form) => Promise<ActionResult>;

const thingOf = (form: Form): string => thingNameArg(form.get('thing') ?? '');
const rotationPage = (thing: string): string => `/rotations/${encodeURIComponent(thing)}`;

/** Every action the console offers, each through the code of its CLI command. */
export const ACTIONS: Readonly<Record<string, Action>> = {
  async redrive({ target }, form) {
    const thing = thingOf(form);
    await redriveThing(target, thing);
    return {
      notice: `Redriven: the rotation of ${thing} resumes at the step that failed.`,
      location: rotationPage(thing),
    };
  },
  async abandon({ target, now }, form) {
    const thing = thingOf(form);
    const result = await abandonRotation(target, await requireRecord(target, thing), now());
    const revoked = result.revoked ? ` Certificate ${result.revoked.certificateId} revoked.` : '';
    return {
      notice: result.alreadyAbandoned
        ? `The rotation of ${thing} was already abandoned.`
        : `Abandoned the rotation of ${thing}; its old certificate is untouched.${revoked}`,
      location: rotationPage(thing),
    };
  },
  async rotate({ target, now }, form) {
    const thing = thingOf(form);
    const oldCertificateId = await currentCertificate(target, thing);
    const outcome = await startRotation(
      target,
      { thingName: thing, oldCertificateId, campaign: 'manual' },
      form.get('fresh') === 'yes' ? { fresh: { now: now() } } : {},
    );
    const status = outcome.status ? ` (${outcome.status})` : '';
    return {
      notice:
        outcome.result === 'started'
          ? `Started a rotation of ${thing}.`
          : `A rotation of ${thing} from this certificate was already started${status}.`,
      location: rotationPage(thing),
    };
  },
  async 'campaign-stop'({ target, now }, form) {
    const campaignId = campaignIdArg(form.get('campaign'));
    const reason = form.get('reason')?.trim();
    if (reason !== undefined && reason.length > 500)
      throw new UsageError('the reason is limited to 500 characters');
    const stopped = await stopCampaign(target, campaignId, reason === '' ? undefined : reason, now());
    return {
      notice: stopped.changed
        ? `Stopped campaign ${campaignId}: no rotation is started from its next pacer turn on.`
        : `Campaign ${campaignId} was already stopped: ${stopped.stopReason}.`,
      location: '/',
    };
  },
  async 'campaign-resume'({ target, now }, form) {
    const campaignId = campaignIdArg(form.get('campaign'));
    const resumed = await resumeCampaign(target, campaignId, now());
    return { notice: `Resumed campaign ${campaignId} (${resumed.status}).`, location: '/' };
  },
  async audit({ target }, form) {
    const { taskId, campaignId } = await runAudit(target, form.get('check'));
    return {
      notice: `Started audit task ${taskId}: when it finds expiring certificates, campaign ${campaignId} starts.`,
      location: '/',
    };
  },
};
