import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { formatDuration } from '../../workflows/campaign/projections.ts';
import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { executionsOf } from '../campaigns/executions.ts';
import {
  campaignResources,
  isoOf,
  readMeta,
  resolveCampaignId,
  soleCampaignIdArg,
} from '../campaigns/meta.ts';
import { campaignProgress, percent, rate } from '../campaigns/progress.ts';
import { campaignNotFound } from '../campaigns/stop.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { colourStatus, statusColour, useColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import { readableCause } from '../rotations/error-text.ts';

export const campaignsShowCommand: Command = {
  help: `Usage: recert campaigns show <id> [--output table|json|text]

Everything about one campaign: its status and why it stopped, where its rotations come from, its
pacing (start rate, in-flight ceiling, failure-rate stop), its counters (queued, started, already
started, skipped, succeeded, failed, parked, in flight), the start rate it measured, the time left
to start the rest at its pacing, and its executions of the campaign state machine.

--output text prints a CAMPAIGN record (id, status, queued, started, already started, skipped,
succeeded, failed, in flight, parked, not started, start rate, in-flight ceiling, limited by,
measured start rate, start ETA in seconds, stop reason) and an EXECUTION record for each execution.

${GLOBAL_OPTIONS_HELP}

Examples:
  recert campaigns show audit-4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e
  recert campaigns show audit-4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --local --json`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, {}, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const typed = soleCampaignIdArg(positionals, 'campaigns show');
    return withTarget(context, values, async (target) => {
      const { stateMachineArn } = campaignResources(target);
      const campaignId = await resolveCampaignId(target, typed);
      const meta = await readMeta(target, campaignId);
      if (!meta) throw campaignNotFound(campaignId);
      const executions = await executionsOf(target, stateMachineArn, campaignId);
      const [latest] = executions;
      // Why the latest execution failed (a failure-rate stop names itself there, with its reason).
      const failure =
        latest && latest.status !== 'RUNNING' && latest.status !== 'SUCCEEDED'
          ? await target.sfn.send(new DescribeExecutionCommand({ executionArn: latest.executionArn }))
          : undefined;
      const now = context.now();
      const progress = campaignProgress(meta, now);
      const executionFailure =
        failure?.error !== undefined
          ? {
              error: failure.error,
              cause: failure.cause === undefined ? undefined : readableCause(failure.cause),
            }
          : undefined;
      if (values.json) {
        printJson(context.io, {
          ...meta,
          progress,
          executions,
          ...(executionFailure ? { executionFailure } : {}),
        });
        return EXIT.ok;
      }
      const { io } = context;
      const executionColumns: Column<(typeof executions)[number]>[] = [
        { header: 'GENERATION', value: (e) => e.generation, align: 'right' },
        { header: 'STATUS', value: (e) => e.status, colour: statusColour },
        { header: 'STARTED', value: (e) => e.startDate },
        { header: 'STOPPED', value: (e) => e.stopDate },
        { header: 'REDRIVES', value: (e) => e.redriveCount, align: 'right' },
        { header: 'EXECUTION', value: (e) => e.executionArn },
      ];
      if (outputFormat(values) === 'text') {
        io.stdout(
          textLine('CAMPAIGN', [
            meta.campaignId,
            meta.status,
            meta.queued,
            meta.started,
            meta.alreadyStarted,
            meta.skipped,
            meta.succeeded,
            meta.failed,
            progress.inFlight,
            meta.parked,
            progress.notStarted,
            meta.pacing?.startsPerSecond,
            meta.pacing?.maxInFlight,
            progress.limitedBy,
            progress.measuredStartsPerSecond,
            progress.startEtaSeconds,
            meta.stopReason,
          ]),
        );
        for (const line of renderText('EXECUTION', executionColumns, executions)) io.stdout(line);
        return EXIT.ok;
      }
      const eta =
        progress.startEtaSeconds === undefined
          ? meta.status === 'STOPPED'
            ? 'stopped: nothing is started until it is resumed'
            : undefined
          : progress.notStarted === 0
            ? 'every queued rotation is started'
            : `${progress.etaIsLowerBound ? 'at least ' : ''}${formatDuration(progress.startEtaSeconds)} to start the remaining ${progress.notStarted}`;
      const pacing = meta.pacing;
      const lines: [string, string | number | undefined][] = [
        ['campaign', meta.campaignId],
        ['status', colourStatus(useColour(io), meta.status)],
        ['stop reason', meta.stopReason],
        ['stopped at', isoOf(meta.stoppedAt)],
        [
          'source',
          meta.source
            ? `${meta.source.kind}${meta.source.taskId ? ` (audit task ${meta.source.taskId}${meta.source.checkNames ? `: ${meta.source.checkNames.join(', ')}` : ''})` : ''}`
            : undefined,
        ],
        ['created', isoOf(meta.createdAt)],
        ['updated', isoOf(meta.updatedAt)],
        ['resumed', isoOf(meta.resumedAt)],
        [
          'pacing',
          pacing
            ? `${rate(pacing.startsPerSecond)} starts, at most ${pacing.maxInFlight} in flight, limited by ${progress.limitedBy}`
            : undefined,
        ],
        [
          'failure-rate stop',
          pacing
            ? `over ${percent(pacing.failureRateThreshold)} failed, once ${pacing.minFinishedForFailureRate} have finished${meta.resumedAt !== undefined ? ' since the resume' : ''} (now ${percent(progress.failureRate) ?? 'n/a'})`
            : undefined,
        ],
        ['queued', `${meta.queued}${meta.enqueueDone === true ? '' : ' (still enqueueing)'}`],
        ['started', meta.started],
        ['already started', meta.alreadyStarted],
        ['skipped', meta.skipped],
        ['succeeded', meta.succeeded],
        ['failed', meta.failed],
        ['in flight', progress.inFlight],
        ['parked (offline)', meta.parked],
        ['not started yet', progress.notStarted],
        ['measured start rate', rate(progress.measuredStartsPerSecond)],
        ['ETA', eta],
      ];
      const width = Math.max(...lines.map(([label]) => label.length));
      for (const [label, value] of lines) {
        if (value === undefined) continue;
        io.stdout(`${label.padEnd(width)}  ${value}`);
      }
      if (executionFailure) {
        io.stdout('');
        io.stdout(
          `Latest execution ${latest?.status}: ${executionFailure.error}${executionFailure.cause ? `: ${readableCause(executionFailure.cause)}` : ''}`,
        );
      }
      io.stdout('');
      io.stdout('Executions, latest first:');
      if (executions.length === 0) io.stdout('  (none)');
      else printTable(io, executionColumns, executions, '  ');
      return EXIT.ok;
    });
  },
};
