import type { ChildProcess } from 'node:child_process';
import { FromFleet } from './fleet-messages.ts';

/** Why `next` gave up: the fleet reported a failure, its process exited, or the wait ran out. */
export type InboxFailure = 'failed' | 'exited' | 'timeout';

export interface FleetInbox {
  /** The next message of this type; throws once the fleet fails or exits, or after `timeoutMs`. */
  next(type: FromFleet['type'], timeoutMs: number): Promise<FromFleet>;
}

/** Messages from the fleet process, awaited by type; `error` makes what `next` throws. */
export function fleetInbox(
  child: ChildProcess,
  error: (message: string, failure: InboxFailure) => Error,
): FleetInbox {
  const received: FromFleet[] = [];
  let wake: (() => void) | undefined;
  let exited: string | undefined;
  child.on('message', (raw: unknown) => {
    const parsed = FromFleet.safeParse(raw);
    received.push(
      parsed.success
        ? parsed.data
        : { type: 'failed', name: 'InvalidFleetMessage', message: parsed.error.message },
    );
    wake?.();
  });
  child.on('exit', (code, signal) => {
    exited = `the fleet process exited (${code ?? signal})`;
    wake?.();
  });
  return {
    async next(type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const failed = received.find((m) => m.type === 'failed');
        if (failed?.type === 'failed')
          throw error(`fleet process: ${failed.name}: ${failed.message}`, 'failed');
        const index = received.findIndex((m) => m.type === type);
        const found = received[index];
        if (found) {
          received.splice(index, 1);
          return found;
        }
        if (exited) throw error(exited, 'exited');
        const left = deadline - Date.now();
        if (left <= 0) throw error(`no ${type} from the fleet process in ${timeoutMs} ms`, 'timeout');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}
