import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { isNamed, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { colourStatus, statusColour, useColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, cellText, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import { readableError } from '../rotations/error-text.ts';
import { thingNameArg } from '../rotations/identifiers.ts';
import { nextStep } from '../rotations/next-step.ts';
import { age, publicRecord, repliesWithoutRotationId } from '../rotations/present.ts';
import { requireRecord } from '../rotations/things.ts';
import { buildTimeline, executionHistory, type TimelineStep } from '../rotations/timeline.ts';

export const rotationsShowCommand: Command = {
  help: `Usage: recert rotations show <thing> [--output table|json|text]

Shows the rotation record of one thing (status, phase, attempt, certificates, last error) and a
timeline built from the execution history: each step, when it started and ended, its outcome,
how many task attempts it took and the error that ended it. On AWS it also prints the link to the
execution in the Step Functions console. When the rotation accepted device replies that carried no
rotationId (the blog-compatible mode, ACCEPT_REPLIES_WITHOUT_ROTATION_ID), it names their kinds.

${GLOBAL_OPTIONS_HELP}

Examples:
  recert rotations show sensor-0042
  recert rotations show sensor-0042 --local --json | jq '.timeline[] | select(.error)'`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, {}, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    if (positionals.length !== 1 || positionals[0] === undefined) {
      throw new UsageError('rotations show takes exactly one thing name');
    }
    const thingName = thingNameArg(positionals[0]);
    return withTarget(context, values, async (target) => {
      const record = await requireRecord(target, thingName);
      let execution: DescribeExecutionCommandOutput | undefined;
      let timeline: TimelineStep[] = [];
      let executionNote: string | undefined;
      try {
        execution = await target.sfn.send(
          new DescribeExecutionCommand({ executionArn: record.executionArn }),
        );
        timeline = buildTimeline(await executionHistory(target.sfn, record.executionArn));
      } catch (error) {
        // Step Functions forgets executions 90 days after they end; the record outlives them.
        if (!isNamed(error, 'ExecutionDoesNotExist')) throw error;
        executionNote = 'the execution no longer exists in Step Functions (ended more than 90 days ago?)';
      }
      const consoleLink = target.consoleLink(record.executionArn);
      if (values.json) {
        printJson(context.io, {
          record: publicRecord(record),
          execution: execution
            ? {
                executionArn: execution.executionArn,
                status: execution.status,
                startDate: execution.startDate?.toISOString(),
                stopDate: execution.stopDate?.toISOString(),
                redriveCount: execution.redriveCount,
                redriveStatus: execution.redriveStatus,
                redriveStatusReason: execution.redriveStatusReason,
                error: execution.error,
                cause: execution.cause,
              }
            : null,
          ...(consoleLink !== undefined ? { consoleLink } : {}),
          timeline,
          nextStep: nextStep(record, execution?.redriveStatus),
        });
        return EXIT.ok;
      }
      const { io } = context;
      const next = nextStep(record, execution?.redriveStatus);
      const timelineColumns: Column<TimelineStep>[] = [
        { header: 'STEP', value: (s) => s.step },
        { header: 'AT', value: (s) => s.at },
        { header: 'LEFT', value: (s) => s.exitedAt },
        { header: 'OUTCOME', value: (s) => s.outcome, colour: statusColour },
        { header: 'TRIES', value: (s) => (s.attempts > 0 ? s.attempts : undefined), align: 'right' },
        { header: 'ERROR', value: (s) => s.error },
      ];
      if (outputFormat(values) === 'text') {
        io.stdout(
          textLine('ROTATION', [
            record.thingName,
            record.status,
            record.phase,
            record.attempt ?? 1,
            record.campaign,
            record.rotationId,
            record.oldCertificateId,
            record.newCertificateId ?? record.provenCertificateId,
            record.startedAt,
            record.updatedAt,
            record.completedAt,
            record.executionArn,
            record.lastError && readableError(record.lastError),
          ]),
        );
        if (execution) {
          io.stdout(
            textLine('EXECUTION', [
              execution.status,
              execution.startDate?.toISOString(),
              execution.stopDate?.toISOString(),
              execution.redriveStatus,
              execution.redriveCount,
            ]),
          );
        }
        for (const text of renderText('STEP', timelineColumns, timeline)) io.stdout(text);
        io.stdout(textLine('NEXT_STEP', [next]));
        return EXIT.ok;
      }
      const now = context.now();
      const colour = useColour(io);
      // `status` is coloured after the text is made safe, so its colour codes survive.
      const line = (label: string, value: string | number | undefined, status?: string): void => {
        const text = cellText(value);
        const shown =
          status && text.startsWith(status)
            ? `${colourStatus(colour, status)}${text.slice(status.length)}`
            : text;
        io.stdout(`${`${label}:`.padEnd(14)}${shown}`);
      };
      line('Thing', record.thingName);
      line(
        'Status',
        `${record.status} (phase ${record.phase}, attempt ${record.attempt ?? 1})`,
        record.status,
      );
      line('Campaign', record.campaign);
      line('Rotation id', record.rotationId);
      line('Old cert', record.oldCertificateId);
      line('New cert', record.newCertificateId ?? record.provenCertificateId);
      if (record.revokedCertificateIds?.length) line('Revoked', record.revokedCertificateIds.join(', '));
      line('Started', record.startedAt && `${record.startedAt} (${age(record.startedAt, now)} ago)`);
      line('Updated', record.updatedAt && `${record.updatedAt} (${age(record.updatedAt, now)} ago)`);
      if (record.completedAt) line('Completed', record.completedAt);
      if (record.lastError) line('Last error', readableError(record.lastError));
      const withoutRotationId = repliesWithoutRotationId(record);
      if (withoutRotationId.length > 0) {
        line(
          'Replies',
          `accepted without rotationId: ${withoutRotationId.join(', ')} ` +
            '(blog-compatible mode, ACCEPT_REPLIES_WITHOUT_ROTATION_ID)',
        );
      }
      line('Execution', record.executionArn);
      if (execution) {
        const redrive =
          execution.redriveStatus === 'REDRIVABLE'
            ? 'redrivable'
            : execution.redriveStatus
              ? `${execution.redriveStatus.toLowerCase().replaceAll('_', ' ')}`
              : undefined;
        line(
          'Exec status',
          [
            execution.status,
            redrive,
            execution.redriveCount ? `redriven ${execution.redriveCount}x` : undefined,
          ]
            .filter((part) => part !== undefined)
            .join(', '),
          execution.status,
        );
      }
      if (executionNote) line('Exec status', executionNote);
      if (consoleLink) line('Console', consoleLink);
      if (timeline.length > 0) {
        io.stdout('');
        io.stdout('Timeline:');
        printTable(io, timelineColumns, timeline, '  ');
      }
      io.stdout('');
      io.stdout(`Next step: ${next}`);
      return EXIT.ok;
    });
  },
};
