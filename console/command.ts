import type { CliIo, Command } from '../cli/index.ts';
import {
  EXIT,
  errorMessage,
  GLOBAL_OPTIONS_HELP,
  intFlag,
  parseCommandLine,
  systemCode,
  TargetUnavailableError,
} from '../cli/index.ts';
import { startConsole } from './server.ts';

/** Resolves on Ctrl-C or SIGTERM (or the io's signal, in tests). */
export function untilStopped(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export const consoleCommand: Command = {
  help: `Usage: recert console [--port <n>] [--read-only] [--local | --stack <name> --region <region>]

Serves the fleet console on 127.0.0.1: the fleet by status, campaigns with their progress, failures
grouped by error, certificates expiring by week, and each rotation's state-machine graph, event
history, certificates and next step. Its actions (redrive, abandon, start a rotation, stop or resume
a campaign, run an audit) are the CLI commands' own code, with the same refusals.

It acts with the credentials the other commands use: the operator's of the local AWS (--local), or
the default credential chain on AWS, the resources coming from the stack's outputs. The URL it
prints carries a one-time session token; keep it to yourself. Runs until Ctrl-C.

  --port <n>          listen on this port (default: a free one)
  --read-only         no actions: pages only

${GLOBAL_OPTIONS_HELP}

Examples:
  recert console --local
  recert console --stack Recert --region eu-west-1 --read-only`,
  async run(args, context) {
    const { values } = parseCommandLine(
      args,
      { port: { type: 'string' }, 'read-only': { type: 'boolean' } },
      false,
    );
    if (values.help) {
      context.io.stdout(this.help);
      return EXIT.ok;
    }
    const port = intFlag('port', values.port, 1, 65_535);
    const target = await context.connect(values);
    try {
      let running: Awaited<ReturnType<typeof startConsole>>;
      try {
        running = await startConsole({
          target,
          readOnly: values['read-only'] === true,
          now: context.now,
          ...(port !== undefined ? { port } : {}),
        });
      } catch (error) {
        if (systemCode(error) === 'EADDRINUSE') {
          throw new TargetUnavailableError(`port ${port} on 127.0.0.1 is taken: ${errorMessage(error)}`, {
            hint: 'pick another with --port, or leave it out for a free one',
          });
        }
        throw error;
      }
      context.io.stdout(
        `recert console (${target.kind === 'local' ? 'local AWS' : `AWS, ${target.resources.region}`}): ${running.url}`,
      );
      context.io.stdout('Open it in a browser on this machine. Stop with Ctrl-C.');
      await untilStopped(context.io);
      await running.close();
      return EXIT.ok;
    } finally {
      target.close();
    }
  },
};
