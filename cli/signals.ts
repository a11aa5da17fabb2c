/**
 * Ctrl-C and SIGTERM for the long-running commands (`npm start`, `recert local up`): the first one
 * asks to stop cleanly; one more a second or later ends the process at once, after `onForce`
 * (e.g. removing the manifest). A repeat within the second is the same press delivered twice: the
 * terminal signals the whole process group, and npm and npx forward it to their child as well.
 */
export interface StopSignal {
  readonly signal: AbortSignal;
  /** Removes the handlers (the command finished). */
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const REPEAT_MS = 1000;
/** The shell's convention: 128 + the signal number. */
const EXIT_CODE: Readonly<Record<(typeof SIGNALS)[number], number>> = { SIGINT: 130, SIGTERM: 143 };

export function onStopSignal(options: {
  onFirst?: (signal: NodeJS.Signals) => void;
  onForce?: () => void;
}): StopSignal {
  const controller = new AbortController();
  let firstAt: number | undefined;
  const handler = (signal: (typeof SIGNALS)[number]): void => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      options.onFirst?.(signal);
      controller.abort();
      return;
    }
    if (now - firstAt < REPEAT_MS) return;
    options.onForce?.();
    process.exit(EXIT_CODE[signal]);
  };
  for (const name of SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const name of SIGNALS) process.off(name, handler);
    },
  };
}
