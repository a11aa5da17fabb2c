/** The soak's local AWS: `recert local up --any-ports` in a child process, stopped as Ctrl-C stops it. */
import type { LocalAwsManifest } from '../local/stack/types.ts';
import { RecertProcess } from './device-soak-process.ts';
import { readManifest } from './device-soak-rotations.ts';

const READY_WITHIN_MS = 180_000;

export class SoakLocalAws {
  /** Seconds from the stop signal to the new manifest, per restart. */
  readonly downtimes: number[] = [];
  /** What went wrong with a restart: a bad exit, a start that failed, a changed MQTT port. */
  readonly failures: string[] = [];
  private process: RecertProcess | undefined;
  private mqttPort: number | undefined;

  constructor(
    private readonly cwd: string,
    private readonly stateDir: string,
    /** Extra flags of `recert local up` (the soak keeps the functions' logs with --keep). */
    private readonly upFlags: readonly string[] = [],
  ) {}

  /** Starts it and resolves with its manifest once it has published one. */
  async up(): Promise<LocalAwsManifest> {
    const local = new RecertProcess(
      ['local', 'up', '--any-ports', '--state-dir', this.stateDir, ...this.upFlags],
      this.cwd,
      (_, code, signal) => this.failures.push(`recert local up exited on its own (${signal ?? code})`),
    );
    this.process = local;
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (!local.running) {
        throw new Error(`recert local up exited before it was ready: ${local.errors.join('').trim()}`);
      }
      const manifest = await readManifest(this.stateDir).catch(() => undefined);
      if (manifest !== undefined && manifest.pid === local.pid) {
        const port = manifest.endpoints.mqtt.port;
        if (this.mqttPort !== undefined && port !== this.mqttPort) {
          this.failures.push(`the MQTT port changed from ${this.mqttPort} to ${port}`);
        }
        this.mqttPort = port;
        return manifest;
      }
      if (Date.now() > deadline)
        throw new Error(`recert local up not ready after ${READY_WITHIN_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Ctrl-C (SIGINT) on `recert local up`, then the same command again on the same state directory. */
  async restart(): Promise<void> {
    const began = Date.now();
    const code = await this.down();
    if (code !== 0) this.failures.push(`recert local up exited with ${code} when stopped`);
    try {
      await this.up();
    } catch (error) {
      this.failures.push(error instanceof Error ? error.message : String(error));
      throw error;
    }
    this.downtimes.push((Date.now() - began) / 1000);
  }

  async down(): Promise<number | null> {
    const local = this.process;
    this.process = undefined;
    return local ? local.stop('SIGINT') : 0;
  }
}
