import type { CampaignSummary } from './campaign-progress.ts';

/** The outcome of one device of the campaign, as the final checks found it. */
export interface DeviceOutcome {
  readonly thingName: string;
  readonly behaviour: string;
  readonly expected: 'rotate' | 'refuse' | 'untouched';
  /** True when what happened is what a correct recert does for this behaviour. */
  readonly ok: boolean;
  /** The rotation record's status, when a rotation started. */
  readonly status?: string;
  readonly detail: string;
}

export interface CampaignReport {
  readonly campaign: string;
  readonly devices: number;
  readonly mix: string;
  readonly clockSpeed: number;
  readonly audit: {
    readonly taskId: string;
    readonly status: string;
    /** Certificates the audit checked (every campaign in the state directory). */
    readonly certificatesChecked: number;
    readonly nonCompliant: number;
  };
  /** Devices of this campaign whose certificate expires within the audit's threshold. */
  readonly expiring: number;
  /** The paced campaign the audit started (absent when none was found). */
  readonly pacedCampaign?: CampaignSummary;
  readonly rotationsStarted: number;
  readonly succeeded: number;
  readonly refusedAsExpected: number;
  readonly failed: readonly {
    readonly thingName: string;
    readonly behaviour: string;
    readonly reason: string;
  }[];
  readonly oldCertificatesRetired: number;
  readonly devicesWithoutWorkingCredentials: readonly string[];
  readonly wallTimeSeconds: number;
  readonly simulatedHours: number;
  readonly billedTransitions: { readonly total: number; readonly perRotation: number };
  readonly timedOut: boolean;
  readonly stateDir: string;
  readonly outcomes: readonly DeviceOutcome[];
}

/** Exit 0 only when every device ended as a correct recert makes it end, and the job did not time out. */
export function campaignPassed(report: CampaignReport): boolean {
  return (
    !report.timedOut &&
    report.failed.length === 0 &&
    report.devicesWithoutWorkingCredentials.length === 0 &&
    report.outcomes.every((outcome) => outcome.ok)
  );
}

export function renderReport(report: CampaignReport): string {
  const lines: string[] = [];
  const refused = report.outcomes.filter((o) => o.expected === 'refuse' && o.ok);
  const wrong = report.outcomes.filter((o) => !o.ok);
  lines.push(`recert fleet rotation: campaign ${report.campaign}`);
  lines.push(`  fleet                  ${report.devices} devices (${report.mix})`);
  lines.push(
    `  audit                  ${report.audit.taskId} ${report.audit.status}: ${report.audit.certificatesChecked} certificates checked, ${report.audit.nonCompliant} expiring`,
  );
  lines.push(`  devices audited        ${report.devices} (${report.expiring} expiring within 30 days)`);
  const paced = report.pacedCampaign;
  if (paced) {
    lines.push(
      `  campaign               ${paced.campaignId} ${paced.status}: ${paced.started} of ${paced.queued} queued started, ${paced.succeeded} succeeded, ${paced.failed} failed, ${paced.parked} parked, ${paced.inFlight} in flight`,
    );
    if (paced.startsPerSecond !== undefined) {
      lines.push(
        `  pacing                 ${paced.startsPerSecond.toFixed(2)} starts/s, at most ${paced.maxInFlight ?? '?'} in flight (limited by ${paced.limitedBy ?? '?'})`,
      );
    }
    if (paced.stopReason !== undefined) lines.push(`  campaign stopped       ${paced.stopReason}`);
  }
  lines.push(`  rotations started      ${report.rotationsStarted}`);
  lines.push(`  succeeded              ${report.succeeded}`);
  lines.push(`  refused as expected    ${report.refusedAsExpected}`);
  for (const outcome of refused)
    lines.push(`    ${outcome.thingName} (${outcome.behaviour}): ${outcome.detail}`);
  lines.push(`  failed                 ${report.failed.length}`);
  for (const failure of report.failed) {
    lines.push(`    ${failure.thingName} (${failure.behaviour}): ${failure.reason}`);
  }
  for (const outcome of wrong) {
    if (report.failed.some((f) => f.thingName === outcome.thingName)) continue;
    lines.push(`    ${outcome.thingName} (${outcome.behaviour}): ${outcome.detail}`);
  }
  lines.push(`  old certificates retired ${report.oldCertificatesRetired}`);
  if (report.devicesWithoutWorkingCredentials.length > 0) {
    lines.push(`  devices locked out     ${report.devicesWithoutWorkingCredentials.join(', ')}`);
  }
  lines.push(
    `  wall time              ${report.wallTimeSeconds.toFixed(1)} s (${report.simulatedHours.toFixed(1)} simulated hours at clock speed ${report.clockSpeed})`,
  );
  lines.push(
    `  billed transitions     ${report.billedTransitions.total} (${report.billedTransitions.perRotation.toFixed(1)} per rotation)`,
  );
  if (report.timedOut) lines.push('  STOPPED before every rotation ended (--timeout, or Ctrl-C)');
  lines.push(`  state                  ${report.stateDir} (kept)`);
  const dir = report.stateDir;
  lines.push(
    `  inspect it with:       npm run recert -- local up --state-dir ${dir}   (in another terminal), then`,
  );
  lines.push(`                         npm run recert -- status --local --state-dir ${dir}`);
  lines.push(`                         npm run recert -- rotations list --local --state-dir ${dir}`);
  if (paced) {
    lines.push(
      `                         npm run recert -- campaigns show ${paced.campaignId} --local --state-dir ${dir}`,
    );
  }
  const sample = report.outcomes.find((o) => o.status !== undefined)?.thingName ?? '<thing>';
  lines.push(
    `                         npm run recert -- rotations show ${sample} --local --state-dir ${dir}`,
  );
  lines.push(campaignPassed(report) ? 'result: PASSED' : 'result: FAILED');
  return `${lines.join('\n')}\n`;
}
