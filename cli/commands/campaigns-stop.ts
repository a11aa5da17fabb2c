import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { resolveCampaignId, soleCampaignIdArg } from '../campaigns/meta.ts';
import { stopCampaign } from '../campaigns/stop.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { textLine } from '../output/text.ts';

export const campaignsStopCommand: Command = {
  help: `Usage: recert campaigns stop <id> [--reason <text>] [--output table|json|text]

Stops a campaign from starting more rotations: its status becomes STOPPED with your reason, and at
its next turn (within about a minute) the pacer fails the campaign execution at its Pace step with
that reason. Rotations already started go on to their end. "recert campaigns resume <id>" carries
on from where it stopped. Stopping a stopped campaign changes nothing.

  --reason <text>     why, shown by "recert campaigns show" (default: none)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert campaigns stop audit-4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --reason "CA maintenance tonight"`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, { reason: { type: 'string' } }, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const typed = soleCampaignIdArg(positionals, 'campaigns stop');
    const reason = values.reason?.trim();
    if (values.reason !== undefined && (reason === '' || reason === undefined)) {
      throw new UsageError('--reason needs a text');
    }
    if (reason !== undefined && reason.length > 500)
      throw new UsageError('--reason is limited to 500 characters');
    return withTarget(context, values, async (target) => {
      const campaignId = await resolveCampaignId(target, typed);
      const stopped = await stopCampaign(target, campaignId, reason, context.now());
      const format = outputFormat(values);
      if (format === 'json') printJson(context.io, stopped);
      else if (format === 'text') {
        context.io.stdout(
          textLine('STOP', [campaignId, stopped.changed ? 'stopped' : 'already stopped', stopped.stopReason]),
        );
      } else if (stopped.changed) {
        context.io.stdout(
          `Stopped campaign ${campaignId} (${stopped.stopReason}): no rotation is started from its next pacer turn on.`,
        );
      } else context.io.stdout(`Campaign ${campaignId} was already stopped: ${stopped.stopReason}.`);
      return EXIT.ok;
    });
  },
};
