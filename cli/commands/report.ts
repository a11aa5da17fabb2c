import { GLOBAL_OPTIONS_HELP, parseCommandLine } from '../args.ts';
import { type Command, helpShown, withTarget } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../io.ts';
import { statusColour } from '../output/colour.ts';
import { renderCsv } from '../output/csv.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';
import { complianceReport, type DeviceLine } from '../rotations/compliance.ts';
import { oneLine } from '../rotations/present.ts';

const FORMATS = ['table', 'json', 'csv', 'text'] as const;
type Format = (typeof FORMATS)[number];
const isFormat = (text: string): text is Format => FORMATS.some((f) => f === text);

const COLUMNS: Column<DeviceLine>[] = [
  { header: 'thing', value: (d) => d.thingName },
  { header: 'certificate', value: (d) => d.certificateId },
  { header: 'checks', value: (d) => d.checks },
  { header: 'state', value: (d) => d.state },
  { header: 'rotation_status', value: (d) => d.rotationStatus },
  { header: 'certificate_status', value: (d) => d.certificateStatus },
  { header: 'still_expiring', value: (d) => (d.stillExpiring ? 'yes' : 'no') },
  { header: 'reason', value: (d) => d.reason },
];

export const reportCommand: Command = {
  help: `Usage: recert report [--campaign <audit task id | name>] [--output table|json|text|csv]

The compliance report of a campaign: the devices the Device Defender audit found (expiring or old
certificates), how many were rotated, are pending, failed (with the reasons) or were abandoned,
and which of the certificates found are still ACTIVE (still expiring). Without --campaign, the
latest completed audit task. A campaign that is not an audit task id (e.g. "manual") reports the
rotations recorded under that name. --format and --json are the same as --output.

  --campaign <id>     audit task id or campaign name
  --output <f>        table (default), json, text (a SUMMARY record, then a DEVICE record per
                      device, in the CSV's columns), csv (one line per device, for spreadsheets)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert report
  recert report --campaign 4b1c8e0f2d5a6b7c8d9e0f1a2b3c4d5e --output csv > campaign.csv
  recert report --campaign manual --local --json`,
  async run(args, context) {
    const { values } = parseCommandLine(
      args,
      { campaign: { type: 'string' }, format: { type: 'string' } },
      false,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    const formatText = values.format ?? values.output ?? (values.json ? 'json' : 'table');
    if (!isFormat(formatText)) {
      throw new UsageError(`--format ${JSON.stringify(formatText)} is not one of ${FORMATS.join(', ')}`);
    }
    if (values.json && values.format !== undefined && values.format !== 'json') {
      throw new UsageError(`--json contradicts --format ${values.format}`);
    }
    if (values.campaign !== undefined && values.campaign.trim() === '')
      throw new UsageError('--campaign is empty');
    return withTarget(context, values, async (target) => {
      const report = await complianceReport(target, values.campaign, context.now(), (done, total) =>
        progress(context.io, `certificate ${done}/${total}...`),
      );
      const { io } = context;
      if (formatText === 'json') {
        printJson(io, report);
        return EXIT.ok;
      }
      if (formatText === 'csv') {
        for (const line of renderCsv(COLUMNS, report.devices)) io.stdout(line);
        return EXIT.ok;
      }
      const s = report.summary;
      if (formatText === 'text') {
        io.stdout(
          textLine('SUMMARY', [
            report.campaign,
            s.devicesFound,
            s.rotated,
            s.pending,
            s.failed,
            s.abandoned,
            s.notStarted,
            s.certificatesStillExpiring,
          ]),
        );
        for (const line of renderText('DEVICE', COLUMNS, report.devices)) io.stdout(line);
        return EXIT.ok;
      }
      io.stdout(
        report.audit
          ? `Campaign ${report.campaign}: audit task ${report.audit.taskType ?? ''} started ${report.audit.taskStartTime ?? '?'}, ${report.audit.taskStatus ?? ''}`
          : `Campaign ${report.campaign} (not an audit task: rotations recorded under this name)`,
      );
      const counts: Array<[string, number]> = [
        ['devices found', s.devicesFound],
        ['rotated', s.rotated],
        ['pending', s.pending],
        ['failed', s.failed],
        ['abandoned', s.abandoned],
        ['not started', s.notStarted],
        ['certificates still expiring', s.certificatesStillExpiring],
      ];
      for (const [label, n] of counts) io.stdout(`  ${label.padEnd(28)}${String(n).padStart(6)}`);
      if (report.devices.length > 0) {
        io.stdout('');
        const table: Column<DeviceLine>[] = [
          { header: 'THING', value: (d) => d.thingName },
          { header: 'CERTIFICATE', value: (d) => d.certificateId.slice(0, 12) },
          { header: 'CHECKS', value: (d) => d.checks },
          { header: 'STATE', value: (d) => d.state, colour: statusColour },
          { header: 'CERT STATUS', value: (d) => d.certificateStatus },
          { header: 'REASON', value: (d) => oneLine(d.reason, 70) },
        ];
        printTable(io, table, report.devices);
      }
      return EXIT.ok;
    });
  },
};
