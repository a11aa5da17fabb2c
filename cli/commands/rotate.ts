import { CertificateId } from '../../workflows/rotate-device/types.ts';
import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { CliError, errorMessage, errorName, UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../io.ts';
import { statusColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText } from '../output/text.ts';
import { expiringTargets } from '../rotations/expiring.ts';
import { thingNameArg } from '../rotations/identifiers.ts';
import { short } from '../rotations/present.ts';
import { currentCertificate, type RotationRequest, startRotation } from '../rotations/start.ts';

interface Row {
  thingName: string;
  oldCertificateId: string | undefined;
  result: string;
  executionArn: string | undefined;
  detail: string | undefined;
}

const MANUAL_CAMPAIGN = 'manual';

/** What an existing execution of the same rotation means for the operator. */
function alreadyStartedDetail(thing: string, status: string | undefined): string | undefined {
  if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED') {
    return `${status}: "recert redrive ${thing}" resumes it, --fresh starts over`;
  }
  return status;
}

export const rotateCommand: Command = {
  help: `Usage: recert rotate <thing...> [--certificate <id>] [--campaign <name>] [--fresh] [--dry-run]
       recert rotate --all-expiring [--campaign <audit task id>] [--dry-run]

Starts one rotation (Step Functions execution) per thing, replacing its ACTIVE certificate. The
execution is named from the thing and the old certificate, exactly as the audit fan-out names it,
so starting the same rotation twice runs it once ("already started").

  --certificate <id>  the certificate to replace, when the thing has several ACTIVE ones (one thing)
  --campaign <name>   recorded with the rotation (default "manual"); with --all-expiring: the audit
                      task whose findings to rotate (default: the latest completed audit task)
  --all-expiring      every ACTIVE certificate the audit found by DEVICE_CERTIFICATE_EXPIRING_CHECK
                      or DEVICE_CERTIFICATE_AGE_CHECK, for each thing it is attached to
  --fresh             a new execution name: to start over after an execution that can no longer be
                      redriven (execution names stay taken for 90 days)
  --dry-run           show what would start, start nothing

${GLOBAL_OPTIONS_HELP}

Examples:
  recert rotate sensor-0042 sensor-0043
  recert rotate sensor-0042 --certificate 3f1c...e9 --fresh
  recert rotate --all-expiring --dry-run
  recert rotate --all-expiring --campaign 4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --local --json`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(
      args,
      {
        'all-expiring': { type: 'boolean' },
        certificate: { type: 'string' },
        campaign: { type: 'string' },
        fresh: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
      true,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const all = values['all-expiring'] === true;
    if (all && positionals.length > 0) throw new UsageError('--all-expiring takes no thing names');
    if (!all && positionals.length === 0)
      throw new UsageError('name at least one thing, or pass --all-expiring');
    if (all && (values.certificate !== undefined || values.fresh)) {
      throw new UsageError('--certificate and --fresh go with named things, not --all-expiring');
    }
    if (values.certificate !== undefined) {
      if (positionals.length !== 1) throw new UsageError('--certificate goes with exactly one thing');
      if (!CertificateId.safeParse(values.certificate).success) {
        throw new UsageError(
          `--certificate ${JSON.stringify(values.certificate)} is not a certificate id (64 hex digits)`,
        );
      }
    }
    if (values.campaign !== undefined && !/^[\w.:-]{1,128}$/.test(values.campaign)) {
      throw new UsageError(
        `--campaign ${JSON.stringify(values.campaign)} is not a valid name (1-128 of letters, digits, . : _ -)`,
      );
    }
    const things = positionals.map(thingNameArg);
    const dryRun = values['dry-run'] === true;
    return withTarget(context, values, async (target) => {
      const rows: Row[] = [];
      const fail = (thingName: string, oldCertificateId: string | undefined, error: unknown): void => {
        const known = error instanceof CliError;
        rows.push({
          thingName,
          oldCertificateId,
          result: !known
            ? 'failed'
            : error.exitCode === EXIT.notFound
              ? 'not found'
              : error.exitCode === EXIT.failed
                ? 'failed'
                : 'refused',
          executionArn: undefined,
          detail: known ? errorMessage(error) : `${errorName(error)}: ${errorMessage(error)}`,
        });
      };
      let requests: RotationRequest[] = [];
      let header: string | undefined;
      if (all) {
        const found = await expiringTargets(target, values.campaign, context.now(), (done, total) =>
          progress(context.io, `checking certificate ${done}/${total}...`),
        );
        requests = found.requests;
        header = `Audit task ${found.task.taskId} (${found.task.taskStartTime ?? 'start unknown'}): ${requests.length} rotation${requests.length === 1 ? '' : 's'} to start, ${found.skipped.length} finding${found.skipped.length === 1 ? '' : 's'} skipped.`;
        for (const skip of found.skipped)
          context.io.stderr(`skipped certificate ${skip.certificateId}: ${skip.reason}`);
      } else {
        for (const thingName of things) {
          try {
            const oldCertificateId = await currentCertificate(target, thingName, values.certificate);
            requests.push({ thingName, oldCertificateId, campaign: values.campaign ?? MANUAL_CAMPAIGN });
          } catch (error) {
            if (things.length === 1) throw error;
            fail(thingName, undefined, error);
          }
        }
      }
      for (const [index, request] of requests.entries()) {
        progress(context.io, `[${index + 1}/${requests.length}] ${request.thingName}`);
        try {
          const outcome = await startRotation(target, request, {
            dryRun,
            ...(values.fresh ? { fresh: { now: context.now() } } : {}),
          });
          rows.push({
            thingName: outcome.thingName,
            oldCertificateId: outcome.oldCertificateId,
            result: outcome.result,
            executionArn: outcome.executionArn,
            detail:
              outcome.result === 'already started'
                ? alreadyStartedDetail(outcome.thingName, outcome.status)
                : undefined,
          });
        } catch (error) {
          if (!all && things.length === 1) throw error;
          fail(request.thingName, request.oldCertificateId, error);
        }
      }
      const bad = rows.filter(
        (row) => !['started', 'already started', 'would start'].includes(row.result),
      ).length;
      const columns: Column<Row>[] = [
        { header: 'THING', value: (r) => r.thingName },
        { header: 'OLD CERT', value: (r) => short(r.oldCertificateId), full: (r) => r.oldCertificateId },
        { header: 'RESULT', value: (r) => r.result, colour: statusColour },
        { header: 'EXECUTION / DETAIL', value: (r) => r.detail ?? r.executionArn },
      ];
      const format = outputFormat(values);
      if (format === 'json') {
        printJson(context.io, { count: rows.length, failed: bad, rotations: rows });
      } else if (format === 'text') {
        for (const line of renderText('ROTATE', columns, rows)) context.io.stdout(line);
      } else {
        if (header) context.io.stdout(header);
        if (rows.length === 0) context.io.stdout('Nothing to rotate.');
        else printTable(context.io, columns, rows);
      }
      return bad > 0 ? EXIT.failed : EXIT.ok;
    });
  },
};
