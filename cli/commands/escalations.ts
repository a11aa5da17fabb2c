import { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine, sinceFlag } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { type Escalation, localEscalations } from '../escalations/escalations.ts';
import { EXIT } from '../exit-codes.ts';
import { statusColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText } from '../output/text.ts';
import { oneLine } from '../rotations/present.ts';
import { stateDirOf } from '../target/resolve-target.ts';

export const escalationsCommand: Command = {
  help: `Usage: recert escalations [--since <when>] [--limit <n>] [--output table|json|text] --local

Lists the escalations the local AWS published, newest first: a rotation that FAILED, TIMED_OUT or
was ABORTED is escalated once on the escalation SNS topic (an operator's "recert abandon" is not).
For each: when, the thing, its status and phase, the rotation id, the error and its cause, and the
next step given the thing's rotation record now (e.g. "recert redrive <thing>").

On AWS, recert does not keep them: the SNS topic (the stack's EscalationTopicArn output) delivers
them to its subscribers (e-mail, chat, a pager). The command names the topic and exits 2 there;
"recert rotations list --status FAILED,TIMED_OUT,ABORTED" lists the rotations that ended so.

  --since <when>      published since then: a duration back from now (30m, 12h, 7d, 2w) or an ISO date
  --limit <n>         at most n escalations, the newest (default: all)

--output text prints an ESCALATION record each: time, thing, status, phase, rotation id, execution
ARN, reason, next step.

${GLOBAL_OPTIONS_HELP}

Examples:
  recert escalations --local
  recert escalations --local --since 1d --output text | cut -f3 | sort -u   # the things`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(
      args,
      { since: { type: 'string' }, limit: { type: 'string' } },
      true,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const since = sinceFlag(values.since, context.now());
    const limit = intFlag('limit', values.limit, 1, 1_000_000);
    const format = outputFormat(values);
    return withTarget(context, values, async (target) => {
      const topic = target.resources.escalationTopicArn;
      if (target.kind === 'aws') {
        throw new CliError(
          `on AWS, escalations go to the subscribers of the SNS topic ${topic} (stack output EscalationTopicArn); recert keeps no copy to list`,
          EXIT.usage,
          {
            hint: `subscribe to it (aws sns subscribe --topic-arn ${topic} --protocol email --notification-endpoint <address>); "recert rotations list --status FAILED,TIMED_OUT,ABORTED" lists the rotations that ended so`,
          },
        );
      }
      const escalations = await localEscalations(target, stateDirOf(values, context.io), {
        since,
        limit,
        onMalformed: (id) =>
          context.io.stderr(`warning: skipped escalation message ${id}: not recert's format`),
      });
      const columns: Column<Escalation>[] = [
        { header: 'TIME', value: (e) => e.at },
        { header: 'THING', value: (e) => e.thingName },
        { header: 'STATUS', value: (e) => e.status, colour: statusColour },
        { header: 'PHASE', value: (e) => e.phase },
        { header: 'ROTATION ID', value: (e) => e.rotationId },
        { header: 'EXECUTION', value: (e) => e.executionArn },
        { header: 'REASON', value: (e) => oneLine(e.reason, 60), full: (e) => oneLine(e.reason, 1024) },
        { header: 'NEXT STEP', value: (e) => e.nextStep },
      ];
      const { io } = context;
      if (format === 'json') {
        printJson(io, { topicArn: topic, count: escalations.length, escalations });
        return EXIT.ok;
      }
      if (format === 'text') {
        for (const line of renderText('ESCALATION', columns, escalations)) io.stdout(line);
        return EXIT.ok;
      }
      if (escalations.length === 0) {
        io.stdout(`No escalations${since ? ` since ${since}` : ''} on ${topic}.`);
        return EXIT.ok;
      }
      // The table leaves out the execution ARN (long, and "rotations show" gives it).
      printTable(
        io,
        columns.filter((c) => c.header !== 'EXECUTION'),
        escalations,
      );
      io.stdout(`${escalations.length} escalation${escalations.length === 1 ? '' : 's'} on ${topic}`);
      return EXIT.ok;
    });
  },
};
