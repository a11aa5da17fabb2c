import { ROTATION_STATUSES, type RotationStatus } from '../../workflows/rotate-device/table.ts';
import { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine, sinceFlag } from '../args.ts';
import { campaignIdsFor } from '../campaigns/campaign-id.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../io.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { printTable } from '../output/table.ts';
import { renderText } from '../output/text.ts';
import { publicRecord, recordColumns } from '../rotations/present.ts';
import { queryByStatus, type RotationRecord } from '../rotations/records.ts';

const isStatus = (text: string): text is RotationStatus =>
  ROTATION_STATUSES.some((status) => status === text);

/** `--status FAILED,TIMED_OUT` or repeated `--status`; case-insensitive; every status by default. */
export function statusesFlag(values: readonly string[] | undefined): RotationStatus[] {
  if (values === undefined || values.length === 0) return [...ROTATION_STATUSES];
  const statuses: RotationStatus[] = [];
  for (const part of values.flatMap((value) => value.split(','))) {
    const upper = part.trim().toUpperCase();
    if (!isStatus(upper)) {
      throw new UsageError(`--status ${JSON.stringify(part)} is not one of ${ROTATION_STATUSES.join(', ')}`);
    }
    if (!statuses.includes(upper)) statuses.push(upper);
  }
  return statuses;
}

export const rotationsListCommand: Command = {
  help: `Usage: recert rotations list [--status <status,...>] [--since <when>] [--campaign <audit task id>]
                             [--limit <n>] [--output table|json|text]

Lists rotation records from the rotation table's byStatus index, page after page: within each
status, the most recent to enter it first.

  --status <s,...>    ${ROTATION_STATUSES.join(', ')} (default: all; repeatable)
  --since <when>      in their status since then: within a duration (30m, 12h, 7d, 2w) or since
                      an ISO date (a rotation in progress since before it is not listed)
  --campaign <id>     only rotations of this campaign: audit-<task id> or the bare audit task id
                      ("manual" for rotations started by hand)
  --limit <n>         at most n records in all (default: no limit)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert rotations list --status FAILED,TIMED_OUT --since 7d
  recert rotations list --campaign 4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --json
  recert rotations list --local --status IN_PROGRESS
  recert rotations list --status FAILED --output text | cut -f2   # thing names, one a line`,
  async run(args, context) {
    const { values } = parseCommandLine(
      args,
      {
        status: { type: 'string', multiple: true },
        since: { type: 'string' },
        campaign: { type: 'string' },
        limit: { type: 'string' },
      },
      false,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const statuses = statusesFlag(values.status);
    const since = sinceFlag(values.since, context.now());
    const limit = intFlag('limit', values.limit, 1, 1_000_000);
    if (values.campaign !== undefined && values.campaign.trim() === '') {
      throw new UsageError('--campaign needs an audit task id');
    }
    return withTarget(context, values, async (target) => {
      const records: RotationRecord[] = [];
      const malformed: string[] = [];
      for (const status of statuses) {
        for await (const record of queryByStatus(target, {
          status,
          since,
          campaign: values.campaign === undefined ? undefined : campaignIdsFor(values.campaign),
          newestFirst: true,
          onMalformed: (thing, reason) => malformed.push(`${thing}: ${reason}`),
        })) {
          records.push(record);
          if (records.length % 500 === 0) progress(context.io, `read ${records.length} records...`);
          if (limit !== undefined && records.length >= limit) break;
        }
        if (limit !== undefined && records.length >= limit) break;
      }
      for (const problem of malformed) context.io.stderr(`warning: skipped a malformed record (${problem})`);
      if (values.json) {
        printJson(context.io, { count: records.length, rotations: records.map(publicRecord) });
        return EXIT.ok;
      }
      if (outputFormat(values) === 'text') {
        for (const line of renderText('ROTATION', recordColumns(context.now()), records))
          context.io.stdout(line);
        return EXIT.ok;
      }
      if (records.length === 0) {
        context.io.stdout('No rotations match.');
        return EXIT.ok;
      }
      printTable(context.io, recordColumns(context.now()), records);
      context.io.stdout(`${records.length} rotation${records.length === 1 ? '' : 's'}`);
      return EXIT.ok;
    });
  },
};
