import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { resolveCampaignId, soleCampaignIdArg } from '../campaigns/meta.ts';
import { resumeCampaign } from '../campaigns/resume.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { textLine } from '../output/text.ts';

export const campaignsResumeCommand: Command = {
  help: `Usage: recert campaigns resume <id> [--output table|json|text]

Resumes a stopped campaign (stopped by an operator, or by its failure rate once the cause is
fixed): its status goes back to RUNNING, the counters of this moment become the baseline of the
failure rate (only rotations finishing from now on count), and its latest execution is redriven
at its Pace step. An execution past Step Functions' 14-day redrive window is replaced by the
campaign's next generation, which carries on from the same place in the queue.

Refused (exit 5) when the campaign is not STOPPED, or its execution is still running: it fails at
its next pacer turn, within about a minute; resume then.

${GLOBAL_OPTIONS_HELP}

Examples:
  recert campaigns resume audit-4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, {}, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const typed = soleCampaignIdArg(positionals, 'campaigns resume');
    return withTarget(context, values, async (target) => {
      const campaignId = await resolveCampaignId(target, typed);
      const resumed = await resumeCampaign(target, campaignId, context.now());
      const format = outputFormat(values);
      if (format === 'json') printJson(context.io, resumed);
      else if (format === 'text') {
        context.io.stdout(
          textLine('RESUME', [
            campaignId,
            resumed.status,
            resumed.execution.action,
            resumed.execution.executionArn,
            resumed.baselineSucceeded,
            resumed.baselineFailed,
          ]),
        );
      } else {
        context.io.stdout(
          `Resumed campaign ${campaignId} (${resumed.status}); the failure rate counts from ${resumed.baselineSucceeded} succeeded and ${resumed.baselineFailed} failed.`,
        );
        context.io.stdout(
          resumed.execution.action === 'redriven'
            ? `Redriven ${resumed.execution.executionArn}: it resumes at its Pace step.`
            : `Started ${resumed.execution.executionArn}: the next generation carries on from the queue.`,
        );
      }
      return EXIT.ok;
    });
  },
};
