import { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine } from '../args.ts';
import { campaignsByExecution } from '../campaigns/executions.ts';
import { type CampaignMeta, campaignResources, readMeta } from '../campaigns/meta.ts';
import { campaignProgress, rate } from '../campaigns/progress.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { errorMessage, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { statusColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText } from '../output/text.ts';

interface Row {
  readonly campaignId: string;
  readonly execution: { readonly status: string; readonly generation: number; readonly executionArn: string };
  readonly meta: CampaignMeta | undefined;
  readonly problem?: string;
}

const SUBCOMMANDS = 'show, stop, resume';

export const campaignsCommand: Command = {
  help: `Usage: recert campaigns [--limit <n>] [--output table|json|text]
       recert campaigns show <id>
       recert campaigns stop <id> [--reason <text>]
       recert campaigns resume <id>

Lists the campaigns (fleet rotations paced under AWS's API quotas), newest first: each one's
status, rotations started of those queued, succeeded, failed, in flight, parked (waiting for an
offline device), its start rate and the API whose quota limits it. A campaign is found from the
executions of the campaign state machine (kept 90 days) and its counters from the campaign table.

  --limit <n>         at most n campaigns (default 50)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert campaigns
  recert campaigns --local --json | jq '.campaigns[] | {campaignId, status}'`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, { limit: { type: 'string' } }, true);
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const [first] = positionals;
    if (first !== undefined) {
      throw new UsageError(
        `unknown subcommand ${JSON.stringify(first)}; one of ${SUBCOMMANDS}, or none to list`,
      );
    }
    const limit = intFlag('limit', values.limit, 1, 10_000) ?? 50;
    return withTarget(context, values, async (target) => {
      const { stateMachineArn } = campaignResources(target);
      const byCampaign = await campaignsByExecution(target, stateMachineArn, limit);
      const rows: Row[] = [];
      for (const [campaignId, executions] of byCampaign) {
        const [latest] = executions;
        if (!latest) continue;
        const execution = {
          status: latest.status,
          generation: latest.generation,
          executionArn: latest.executionArn,
        };
        try {
          rows.push({ campaignId, execution, meta: await readMeta(target, campaignId) });
        } catch (error) {
          rows.push({ campaignId, execution, meta: undefined, problem: errorMessage(error) });
        }
      }
      const now = context.now();
      if (values.json) {
        printJson(context.io, {
          count: rows.length,
          campaigns: rows.map((row) => ({
            campaignId: row.campaignId,
            execution: row.execution,
            ...(row.meta ? { ...row.meta, progress: campaignProgress(row.meta, now) } : {}),
            ...(row.problem ? { problem: row.problem } : {}),
          })),
        });
        return EXIT.ok;
      }
      const progress = (row: Row) => (row.meta ? campaignProgress(row.meta, now) : undefined);
      const columns: Column<Row>[] = [
        { header: 'CAMPAIGN', value: (r) => r.campaignId },
        {
          header: 'STATUS',
          value: (r) => r.meta?.status ?? (r.problem ? 'UNREADABLE' : 'NO META'),
          colour: statusColour,
        },
        { header: 'EXECUTION', value: (r) => r.execution.status, colour: statusColour },
        {
          header: 'STARTED/QUEUED',
          value: (r) => (r.meta ? `${r.meta.started}/${r.meta.queued}` : undefined),
          align: 'right',
        },
        { header: 'SUCCEEDED', value: (r) => r.meta?.succeeded, align: 'right' },
        { header: 'FAILED', value: (r) => r.meta?.failed, align: 'right' },
        { header: 'IN FLIGHT', value: (r) => progress(r)?.inFlight, align: 'right' },
        { header: 'PARKED', value: (r) => r.meta?.parked, align: 'right' },
        {
          header: 'START RATE',
          value: (r) => rate(r.meta?.pacing?.startsPerSecond),
          full: (r) => r.meta?.pacing?.startsPerSecond,
          align: 'right',
        },
        { header: 'LIMITED BY', value: (r) => progress(r)?.limitedBy },
      ];
      if (outputFormat(values) === 'text') {
        for (const line of renderText('CAMPAIGN', columns, rows)) context.io.stdout(line);
      } else if (rows.length === 0) {
        context.io.stdout('No campaigns yet: an audit with findings starts one.');
        return EXIT.ok;
      } else printTable(context.io, columns, rows);
      for (const row of rows) {
        if (row.problem) context.io.stderr(`warning: campaign ${row.campaignId}: ${row.problem}`);
      }
      if (outputFormat(values) !== 'text') {
        context.io.stdout(`${rows.length} campaign${rows.length === 1 ? '' : 's'}`);
      }
      return EXIT.ok;
    });
  },
};
