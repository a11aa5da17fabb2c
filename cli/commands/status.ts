import { ROTATION_STATUSES, type RotationStatus } from '../../workflows/rotate-device/table.ts';
import { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { statusColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import { age, oneLine, publicRecord } from '../rotations/present.ts';
import { collect, countByStatus, queryByStatus, type RotationRecord } from '../rotations/records.ts';

const FAILED_STATUSES: readonly RotationStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export const statusCommand: Command = {
  help: `Usage: recert status [--top <n>] [--output table|json|text]

Counts rotations by status (from the rotation table's byStatus index), lists the rotations that
have been in flight the longest (IDLE: since their record last changed), and the most recent
failures with their errors (by when they failed).

  --top <n>           how many in-flight and failed rotations to list (default 5, max 100)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert status
  recert status --local --top 10
  recert status --json | jq .counts
  recert status --output text | awk -F'\t' '$1 == "FAILURE" { print $2 }'   # the failed things`,
  async run(args, context) {
    const { values } = parseCommandLine(args, { top: { type: 'string' } }, false);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const top = intFlag('top', values.top, 1, 100) ?? 5;
    return withTarget(context, values, async (target) => {
      const counts: Record<string, number> = {};
      for (const status of ROTATION_STATUSES) counts[status] = await countByStatus(target, status);
      const inFlight = await collect(queryByStatus(target, { status: 'IN_PROGRESS', limit: top }));
      const failures = (
        await Promise.all(
          FAILED_STATUSES.map((status) =>
            collect(queryByStatus(target, { status, newestFirst: true, limit: top })),
          ),
        )
      )
        .flat()
        .sort((a, b) => (b.statusSince ?? '').localeCompare(a.statusSince ?? ''))
        .slice(0, top);
      const now = context.now();
      if (values.json) {
        printJson(context.io, {
          counts,
          oldestInFlight: inFlight.map(publicRecord),
          recentFailures: failures.map(publicRecord),
        });
        return EXIT.ok;
      }
      const { io } = context;
      const inFlightColumns: Column<RotationRecord>[] = [
        { header: 'THING', value: (r) => r.thingName },
        { header: 'PHASE', value: (r) => r.phase },
        { header: 'ATTEMPT', value: (r) => r.attempt, align: 'right' },
        { header: 'STARTED', value: (r) => r.startedAt },
        { header: 'IDLE', value: (r) => age(r.updatedAt, now), align: 'right' },
      ];
      const failureColumns: Column<RotationRecord>[] = [
        { header: 'THING', value: (r) => r.thingName },
        { header: 'STATUS', value: (r) => r.status, colour: statusColour },
        { header: 'PHASE', value: (r) => r.phase },
        { header: 'SINCE', value: (r) => r.statusSince ?? r.updatedAt },
        { header: 'ERROR', value: (r) => oneLine(r.lastError, 70), full: (r) => oneLine(r.lastError, 1024) },
      ];
      if (outputFormat(values) === 'text') {
        for (const [status, count] of Object.entries(counts)) io.stdout(textLine('COUNT', [status, count]));
        for (const line of renderText('IN_FLIGHT', inFlightColumns, inFlight)) io.stdout(line);
        for (const line of renderText('FAILURE', failureColumns, failures)) io.stdout(line);
        return EXIT.ok;
      }
      io.stdout(`Rotations by status (table ${target.resources.rotationTableName}):`);
      printTable(
        io,
        [
          { header: 'STATUS', value: (row: [string, number]) => row[0], colour: statusColour },
          { header: 'COUNT', value: (row: [string, number]) => row[1], align: 'right' },
        ],
        Object.entries(counts),
        '  ',
      );
      io.stdout('');
      io.stdout('In flight, longest in progress first:');
      if (inFlight.length === 0) io.stdout('  (none)');
      else printTable(io, inFlightColumns, inFlight, '  ');
      io.stdout('');
      io.stdout('Recent failures:');
      if (failures.length === 0) io.stdout('  (none)');
      else printTable(io, failureColumns, failures, '  ');
      return EXIT.ok;
    });
  },
};
