/**
 * The named errors of the campaign workflow. Lambda reports a thrown error's `name` as its error
 * type, so the campaign execution fails at `Pace` with this name and the message as its cause.
 */

export const CAMPAIGN_ERROR_NAMES = {
  /** The failure rate passed its threshold, or an operator stopped the campaign. */
  stopped: 'RecertCampaignStopped',
  /** The META item the pacer needs is not there (the table was emptied, a wrong campaign id). */
  notFound: 'RecertCampaignNotFound',
  /** A META item or queue entry that does not match its schema. */
  corrupt: 'RecertCampaignCorrupt',
} as const;

/** The campaign starts no more rotations; the message says why and what to do. */
export class RecertCampaignStopped extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = CAMPAIGN_ERROR_NAMES.stopped;
  }
}

export class RecertCampaignNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = CAMPAIGN_ERROR_NAMES.notFound;
  }
}

export class RecertCampaignCorrupt extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = CAMPAIGN_ERROR_NAMES.corrupt;
  }
}

/** Why a campaign stopped, in words an operator acts on. */
export function failureRateStopReason(input: {
  readonly failed: number;
  readonly finished: number;
  readonly threshold: number;
  readonly since?: string;
}): string {
  const percent = (x: number): string => `${Math.round(x * 1000) / 10}%`;
  const since = input.since
    ? `since the campaign was resumed at ${input.since}`
    : 'since the campaign started';
  return (
    `${input.failed} of ${input.finished} rotations finished ${since} failed ` +
    `(${percent(input.failed / input.finished)}), over the ${percent(input.threshold)} threshold; ` +
    'no more rotations are started. Fix the cause, then resume the campaign'
  );
}
