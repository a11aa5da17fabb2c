import type { CampaignProgressCounts } from './campaign-progress.ts';

/** What the progress display shows, counted over the campaign's expiring devices. */
export interface ProgressCounts {
  readonly expiring: number;
  readonly rotated: number;
  readonly inFlight: number;
  readonly failed: number;
  readonly refused: number;
  /** The paced campaign's own counters, once it exists: how far its starts got. */
  readonly campaign?: CampaignProgressCounts;
}

export interface Progress {
  phase(text: string): void;
  update(counts: ProgressCounts, simulatedHours: number): void;
  done(): void;
}

interface Stream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

function summary(counts: ProgressCounts, simulatedHours: number): string {
  const campaign = counts.campaign
    ? `  | campaign started ${counts.campaign.started}/${counts.campaign.queued}` +
      ` in flight ${counts.campaign.inFlight} parked ${counts.campaign.parked}`
    : '';
  return (
    `rotated ${counts.rotated}/${counts.expiring}  in flight ${counts.inFlight}  failed ${counts.failed}` +
    `  refused ${counts.refused}${campaign}  (simulated ${simulatedHours.toFixed(1)} h)`
  );
}

/**
 * On a terminal one line redrawn in place (a bar and the counts); otherwise a plain line at most
 * every `plainEveryMs`, and whenever the counts change phase, so logs stay readable.
 */
export function createProgress(stream: Stream, plainEveryMs = 2_000, now = Date.now): Progress {
  if (stream.isTTY === true) {
    let drawn = false;
    return {
      phase(text) {
        if (drawn) stream.write('\n');
        drawn = false;
        stream.write(`${text}\n`);
      },
      update(counts, simulatedHours) {
        const width = 30;
        const settled = counts.rotated + counts.failed + counts.refused;
        const filled = counts.expiring === 0 ? width : Math.round((settled / counts.expiring) * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(Math.max(0, width - filled))}]`;
        const line = `${bar} ${summary(counts, simulatedHours)}`;
        const max = (stream.columns ?? 120) - 1;
        stream.write(`\r\x1b[2K${line.slice(0, max)}`);
        drawn = true;
      },
      done() {
        if (drawn) stream.write('\n');
        drawn = false;
      },
    };
  }
  let last = 0;
  let lastText = '';
  return {
    phase(text) {
      stream.write(`${text}\n`);
    },
    update(counts, simulatedHours) {
      const text = summary(counts, 0);
      const t = now();
      if (text === lastText && t - last < plainEveryMs) return;
      if (t - last < plainEveryMs / 4) return;
      last = t;
      lastText = text;
      stream.write(`${summary(counts, simulatedHours)}\n`);
    },
    done() {},
  };
}
