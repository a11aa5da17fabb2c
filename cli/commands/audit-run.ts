import { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine } from '../args.ts';
import { AUDIT_CHECKS, type AuditCheck, runAudit } from '../audit/run-audit.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../io.ts';
import { colourStatus, statusColour, useColour } from '../output/colour.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';

const isCheck = (text: string): text is AuditCheck => text in AUDIT_CHECKS;

export const auditRunCommand: Command = {
  help: `Usage: recert audit run [--check expiring|age ...] [--wait-campaign <seconds>]
                        [--output table|json|text]

Starts an on-demand Device Defender audit of device certificates, follows it until it ends, and
then waits for the campaign its notification starts (audit-<task id>), which rotates the
non-compliant certificates at the pace AWS's quotas allow. The checks must be enabled in the
account's audit configuration (the stack enables them).

  --check <c>               expiring (DEVICE_CERTIFICATE_EXPIRING_CHECK), age
                            (DEVICE_CERTIFICATE_AGE_CHECK); repeatable or comma-separated;
                            default both
  --wait-campaign <s>       how long to wait for the campaign to appear (default 30; 0: not at all)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert audit run --local
  recert audit run --check expiring --json
  recert campaigns show <task id>        # then follow the campaign it started`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(
      args,
      { check: { type: 'string', multiple: true }, 'wait-campaign': { type: 'string' } },
      true,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const checks = (values.check ?? ['expiring,age']).flatMap((text) => text.split(','));
    for (const check of checks) {
      if (!isCheck(check)) {
        throw new UsageError(
          `--check ${JSON.stringify(check)} is not one of ${Object.keys(AUDIT_CHECKS).join(', ')}`,
        );
      }
    }
    const waitSeconds = intFlag('wait-campaign', values['wait-campaign'], 0, 3600) ?? 30;
    return withTarget(context, values, async (target) => {
      const run = await runAudit(
        {
          iot: target.iot,
          db: target.db,
          campaignTableName: target.resources.campaignTableName,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          onProgress: (line) => progress(context.io, line),
        },
        { checks: [...new Set(checks.filter(isCheck))], waitForCampaignMs: waitSeconds * 1000 },
      );
      const { io } = context;
      if (values.json) {
        printJson(io, run);
        return run.taskStatus === 'COMPLETED' ? EXIT.ok : EXIT.failed;
      }
      const columns: Column<AuditRunCheck>[] = [
        { header: 'CHECK', value: (c) => c.checkName },
        { header: 'STATUS', value: (c) => c.status, colour: statusColour },
        { header: 'CHECKED', value: (c) => c.checked, align: 'right' },
        { header: 'NON-COMPLIANT', value: (c) => c.nonCompliant, align: 'right' },
      ];
      if (outputFormat(values) === 'text') {
        io.stdout(textLine('AUDIT', [run.taskId, run.taskStatus, run.campaignId, run.campaignStarted]));
        for (const line of renderText('CHECK', columns, run.checks)) io.stdout(line);
        return run.taskStatus === 'COMPLETED' ? EXIT.ok : EXIT.failed;
      }
      io.stdout(`Audit task ${run.taskId}: ${colourStatus(useColour(io), run.taskStatus)}`);
      printTable(io, columns, run.checks, '  ');
      const nonCompliant = run.checks.reduce((sum, c) => sum + c.nonCompliant, 0);
      if (run.campaignStarted) {
        io.stdout(`Campaign ${run.campaignId} started: "recert campaigns show ${run.taskId}" follows it.`);
      } else if (run.taskStatus === 'COMPLETED' && nonCompliant > 0) {
        io.stdout(
          `No campaign ${run.campaignId} yet: "recert campaigns" lists it once the audit notification started it; "recert rotate --all-expiring --campaign ${run.taskId}" starts the rotations by hand.`,
        );
      } else if (run.taskStatus === 'COMPLETED') io.stdout('Nothing non-compliant: no campaign to start.');
      return run.taskStatus === 'COMPLETED' ? EXIT.ok : EXIT.failed;
    });
  },
};

type AuditRunCheck = Awaited<ReturnType<typeof runAudit>>['checks'][number];
