import type { CliIo } from '../cli/index.ts';
import { errorMessage, localTarget } from '../cli/index.ts';
import { startConsole } from './server.ts';

/**
 * The console beside `recert local up`, on the local AWS it just started, acting as its operator:
 * prints its URL; a console that cannot start is a warning, never the end of the local AWS.
 */
export async function serveLocalConsole(stateDir: string, io: CliIo): Promise<{ close(): Promise<void> }> {
  try {
    const target = await localTarget(stateDir);
    const running = await startConsole({ target });
    io.stdout(`  Console         ${running.url}`);
    return {
      close: async () => {
        await running.close();
        target.close();
      },
    };
  } catch (error) {
    io.stderr(`warning: the console did not start: ${errorMessage(error)} (run "recert console --local")`);
    return { close: async () => {} };
  }
}
