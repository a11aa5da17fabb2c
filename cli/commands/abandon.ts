import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { textLine } from '../output/text.ts';
import { abandonRotation } from '../rotations/abandon.ts';
import { thingNameArg } from '../rotations/identifiers.ts';
import { requireRecord } from '../rotations/things.ts';

export const abandonCommand: Command = {
  help: `Usage: recert abandon <thing> [--output table|json|text]

Stops the thing's rotation (StopExecution), revokes the certificate that rotation issued
(detached from the thing and its policies, set INACTIVE, deleted) and marks the rotation record
ABANDONED. The device keeps its old certificate, which is never touched: the command refuses
when the old certificate is not ACTIVE any more, and when the device has already proven the new
certificate. Abandoning an abandoned rotation does nothing and succeeds.

${GLOBAL_OPTIONS_HELP}

Examples:
  recert abandon sensor-0042
  recert abandon sensor-0042 --local --json`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, {}, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const [arg, ...extra] = positionals;
    if (arg === undefined || extra.length > 0) throw new UsageError('abandon takes exactly one thing name');
    const thingName = thingNameArg(arg);
    return withTarget(context, values, async (target) => {
      const record = await requireRecord(target, thingName);
      const result = await abandonRotation(target, record, context.now());
      const format = outputFormat(values);
      if (format === 'json') {
        printJson(context.io, result);
        return EXIT.ok;
      }
      if (format === 'text') {
        const outcome = result.alreadyAbandoned ? 'already abandoned' : 'abandoned';
        const revoked = result.revoked?.certificateId;
        context.io.stdout(
          textLine('ABANDON', [thingName, outcome, result.executionArn, revoked, record.oldCertificateId]),
        );
        return EXIT.ok;
      }
      const { io } = context;
      if (result.alreadyAbandoned) {
        io.stdout(`The rotation of ${thingName} was already abandoned.`);
        return EXIT.ok;
      }
      io.stdout(
        result.stopped
          ? `Stopped ${result.executionArn}.`
          : `Execution ${result.executionArn} was not running.`,
      );
      if (result.revoked === undefined) io.stdout('No certificate had been issued: nothing to revoke.');
      else if (result.revoked.outcome === 'absent')
        io.stdout(`Certificate ${result.revoked.certificateId} was already gone.`);
      else io.stdout(`Revoked and deleted certificate ${result.revoked.certificateId}.`);
      io.stdout(
        `Marked the rotation of ${thingName} ABANDONED; its old certificate ${record.oldCertificateId} is untouched.`,
      );
      return EXIT.ok;
    });
  },
};
