import type { RotationStatus } from '../../workflows/rotate-device/table.ts';
import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { type Command, type CommandContext, helpShown, withTarget } from '../command.ts';
import { CliError, errorMessage, errorName, RefusedError, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../io.ts';
import { statusColour } from '../output/colour.ts';
import { type OutputFormat, outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import { readableError } from '../rotations/error-text.ts';
import { executionArnArg, looksLikeArn, thingNameArg } from '../rotations/identifiers.ts';
import { collect, queryByStatus } from '../rotations/records.ts';
import { redriveExecution } from '../rotations/redrive.ts';
import { requireRecord } from '../rotations/things.ts';
import type { Target } from '../target/target.ts';

/** Statuses `--failed` redrives: ABORTED is left out, since someone stopped those on purpose. */
const REDRIVE_STATUSES: readonly RotationStatus[] = ['FAILED', 'TIMED_OUT'];

interface BatchResult {
  thingName: string;
  executionArn: string;
  result: 'redriven' | 'would redrive' | 'refused' | 'failed';
  detail: string | undefined;
}

async function redriveOne(
  context: CommandContext,
  target: Target,
  arg: string,
  format: OutputFormat,
): Promise<number> {
  let executionArn: string;
  let thing: string | undefined;
  if (looksLikeArn(arg)) {
    executionArn = executionArnArg(arg);
  } else {
    thing = thingNameArg(arg);
    const record = await requireRecord(target, thing);
    if (record.status === 'ABANDONED') {
      throw new RefusedError(`the rotation of ${thing} was abandoned by an operator`, {
        hint: `start a new rotation with "recert rotate ${thing} --fresh"`,
      });
    }
    executionArn = record.executionArn;
  }
  const out = await redriveExecution(target, executionArn, thing);
  if (format === 'json')
    printJson(context.io, { ...(thing ? { thingName: thing } : {}), ...out, result: 'redriven' });
  else if (format === 'text') context.io.stdout(textLine('REDRIVE', [thing, 'redriven', executionArn]));
  else context.io.stdout(`Redriven ${executionArn}: it resumes at the step that failed.`);
  return EXIT.ok;
}

async function redriveFailed(
  context: CommandContext,
  target: Target,
  campaign: string | undefined,
  dryRun: boolean,
  format: OutputFormat,
): Promise<number> {
  const records = (
    await Promise.all(REDRIVE_STATUSES.map((status) => collect(queryByStatus(target, { status, campaign }))))
  ).flat();
  const results: BatchResult[] = [];
  for (const [index, record] of records.entries()) {
    progress(context.io, `[${index + 1}/${records.length}] ${record.thingName}`);
    const base = { thingName: record.thingName, executionArn: record.executionArn };
    if (dryRun) {
      results.push({
        ...base,
        result: 'would redrive',
        detail: record.lastError && readableError(record.lastError),
      });
      continue;
    }
    try {
      await redriveExecution(target, record.executionArn, record.thingName);
      results.push({ ...base, result: 'redriven', detail: undefined });
    } catch (error) {
      const refused = error instanceof CliError && error.exitCode !== EXIT.failed;
      results.push({
        ...base,
        result: refused ? 'refused' : 'failed',
        detail: refused ? errorMessage(error) : `${errorName(error)}: ${errorMessage(error)}`,
      });
    }
  }
  const bad = results.filter((r) => r.result === 'refused' || r.result === 'failed').length;
  const columns: Column<BatchResult>[] = [
    { header: 'THING', value: (r) => r.thingName },
    { header: 'RESULT', value: (r) => r.result, colour: statusColour },
    { header: 'DETAIL', value: (r) => r.detail ?? (r.result === 'redriven' ? r.executionArn : undefined) },
  ];
  if (format === 'json') {
    printJson(context.io, { count: results.length, failed: bad, results });
  } else if (format === 'text') {
    for (const line of renderText('REDRIVE', columns, results)) context.io.stdout(line);
  } else if (results.length === 0) {
    context.io.stdout(`No failed rotations${campaign ? ` in campaign ${campaign}` : ''} to redrive.`);
  } else {
    printTable(context.io, columns, results);
    const done = results.length - bad;
    context.io.stdout(`${dryRun ? 'Would redrive' : 'Redriven'} ${done} of ${results.length}.`);
  }
  return bad > 0 ? EXIT.failed : EXIT.ok;
}

export const redriveCommand: Command = {
  help: `Usage: recert redrive <thing | execution ARN> [--output table|json|text]
       recert redrive --failed [--campaign <audit task id>] [--dry-run] [--output table|json|text]

RedriveExecution: the execution resumes at the step that failed, keeping its ARN and its history.
Step Functions redrives executions that FAILED, TIMED_OUT or were ABORTED within the last 14 days.
When an execution cannot be redriven (it succeeded, still runs, or is too old) the command says
why and what to do instead, and exits with 5.

  --failed            redrive every FAILED and TIMED_OUT rotation (ABORTED ones were stopped on
                      purpose: redrive those one by one)
  --campaign <id>     with --failed: only rotations of this audit task id
  --dry-run           with --failed: list what would be redriven, change nothing

${GLOBAL_OPTIONS_HELP}

Examples:
  recert redrive sensor-0042
  recert redrive arn:aws:states:eu-west-1:123456789012:execution:recert-rotate-device:sensor-0042-1a2b3c
  recert redrive --failed --campaign 4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --dry-run`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(
      args,
      { failed: { type: 'boolean' }, campaign: { type: 'string' }, 'dry-run': { type: 'boolean' } },
      true,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const format = outputFormat(values);
    if (values.failed) {
      if (positionals.length > 0) throw new UsageError('redrive --failed takes no thing or ARN');
      return withTarget(context, values, (target) =>
        redriveFailed(context, target, values.campaign, values['dry-run'] === true, format),
      );
    }
    if (values.campaign !== undefined || values['dry-run']) {
      throw new UsageError('--campaign and --dry-run go with --failed');
    }
    const [arg, ...extra] = positionals;
    if (arg === undefined || extra.length > 0) {
      throw new UsageError('redrive takes one thing name or execution ARN, or --failed');
    }
    // Validated before connecting, so a typo is a usage error even when the target is down.
    if (looksLikeArn(arg)) executionArnArg(arg);
    else thingNameArg(arg);
    return withTarget(context, values, (target) => redriveOne(context, target, arg, format));
  },
};
