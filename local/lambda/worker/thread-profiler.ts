/**
 * A CPU profile of the thread it runs on, for the benchmark: `node --cpu-prof` leaves out workers started
 * without the parent's flags, such as the function workers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

export class ThreadProfiler {
  private constructor(
    private readonly session: Session,
    private readonly dir: string,
  ) {}

  /** Starts sampling every `intervalUs` microseconds (1 ms by default, as `--cpu-prof`'s default). */
  static async start(dir: string, intervalUs = 1_000): Promise<ThreadProfiler> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    return new ThreadProfiler(session, dir);
  }

  /** Stops the profiler and writes the profile (`.cpuprofile`, as `--cpu-prof` names its files). */
  async stop(name: string): Promise<string> {
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `CPU.${name}.${process.pid}.${threadId}.${Date.now()}.cpuprofile`);
    await writeFile(path, JSON.stringify(profile));
    return path;
  }
}
