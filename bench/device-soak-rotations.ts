/** The soak's rotations: started with `recert rotate --local`, followed with DescribeExecution. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS } from '../local/config.ts';
import { type LocalAwsManifest, MANIFEST_FILE } from '../local/stack/types.ts';
import type { RecertProcess } from './device-soak-process.ts';

export interface Rotation {
  readonly thingName: string;
  readonly executionArn: string;
  readonly startedAt: number;
  status: string;
  endedAt?: number;
  error?: string;
}

export interface RotationCounts {
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly running: number;
  /** `recert rotate` runs that started nothing (the reason is logged). */
  readonly refused: number;
}

/** The running local AWS's manifest, as `recert --local` commands read it. */
export async function readManifest(stateDir: string): Promise<LocalAwsManifest> {
  return JSON.parse(await readFile(join(stateDir, MANIFEST_FILE), 'utf8')) as LocalAwsManifest;
}

export class SoakRotations {
  readonly all: Rotation[] = [];
  private refused = 0;

  constructor(
    private readonly recert: (args: string[]) => RecertProcess,
    private readonly stateDir: string,
    private readonly log: (line: string) => void,
  ) {}

  inFlight(thingName: string): boolean {
    return this.all.some((r) => r.thingName === thingName && r.status === 'RUNNING');
  }

  /** `recert rotate <thing> --local --json`, as an operator starts one. */
  async start(thingName: string): Promise<void> {
    const command = this.recert(['rotate', thingName, '--local', '--state-dir', this.stateDir, '--json']);
    const code = await command.finished();
    let row: { result?: string; executionArn?: string; detail?: string } | undefined;
    try {
      row = (JSON.parse(command.lines.join('\n')) as { rotations: (typeof row)[] }).rotations[0];
    } catch {
      row = undefined;
    }
    if (code === 0 && row?.result === 'started' && row.executionArn) {
      this.all.push({ thingName, executionArn: row.executionArn, startedAt: Date.now(), status: 'RUNNING' });
      return;
    }
    this.refused += 1;
    const reason = row?.detail ?? (command.errors.join('').trim() || `exit ${code}`);
    this.log(`recert rotate ${thingName} started nothing: ${row?.result ?? 'error'}: ${reason}`);
  }

  /** Reads the status of each rotation in flight; returns those that ended since the last call. */
  async poll(): Promise<Rotation[]> {
    const running = this.all.filter((r) => r.status === 'RUNNING');
    if (running.length === 0) return [];
    const manifest = await readManifest(this.stateDir);
    const sfn = new SFNClient({
      endpoint: manifest.endpoints.stepFunctions,
      region: manifest.resources.region,
      credentials: manifest.operatorCredentials ?? LOCAL_CREDENTIALS,
    });
    const ended: Rotation[] = [];
    try {
      for (const rotation of running) {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn: rotation.executionArn }));
        if (out.status === undefined || out.status === 'RUNNING') continue;
        rotation.status = out.status;
        rotation.endedAt = Date.now();
        if (out.status !== 'SUCCEEDED') rotation.error = `${out.error ?? ''} ${out.cause ?? ''}`.trim();
        ended.push(rotation);
      }
    } finally {
      sfn.destroy();
    }
    return ended;
  }

  counts(): RotationCounts {
    const count = (ok: (r: Rotation) => boolean) => this.all.filter(ok).length;
    return {
      started: this.all.length,
      succeeded: count((r) => r.status === 'SUCCEEDED'),
      failed: count((r) => r.status !== 'SUCCEEDED' && r.status !== 'RUNNING'),
      running: count((r) => r.status === 'RUNNING'),
      refused: this.refused,
    };
  }
}
