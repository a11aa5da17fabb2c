import {
  DEFAULT_ACTIVE_ROTATION_SECONDS,
  DEFAULT_HEADROOM,
  derivePacing,
  InvalidPacingError,
} from '../../workflows/campaign/pacing.ts';
import {
  formatDuration,
  PROJECTED_FLEET_SIZES,
  projectCampaign,
} from '../../workflows/campaign/projections.ts';
import {
  AWS_DEFAULT_QUOTAS,
  InvalidQuotaError,
  QUOTED_APIS,
  type QuotedApi,
} from '../../workflows/campaign/quotas.ts';
import { ISSUER_KINDS, type IssuerKind, issuerKindOf } from '../../workflows/rotate-device/api-calls.ts';
import { GLOBAL_OPTIONS_HELP, intFlag, numberFlag, parseCommandLine } from '../args.ts';
import { percent, rate } from '../campaigns/progress.ts';
import { type Command, helpShown } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { outputFormat } from '../output/format.ts';
import { printJson } from '../output/json.ts';
import { type Column, printTable } from '../output/table.ts';
import { renderText, textLine } from '../output/text.ts';

/** `UpdateCertificate=50` or `iot:UpdateCertificate=50`: the API's name is matched with or without its service. */
export function quotaFlags(values: readonly string[] | undefined): Record<string, number> {
  const quotas: Record<string, number> = {};
  // Repeated flags or one comma-separated list: UpdateCertificate=50,DeleteCertificate=50.
  for (const text of (values ?? []).flatMap((value) => value.split(','))) {
    const match = /^([\w:]+)=(.+)$/.exec(text.trim());
    if (!match?.[1] || match[2] === undefined) {
      throw new UsageError(
        `--quota ${JSON.stringify(text)} is not <API>=<calls per second> (e.g. UpdateCertificate=50)`,
      );
    }
    const name = match[1];
    const api: QuotedApi | undefined = QUOTED_APIS.find(
      (known) => known === name || known.slice(known.indexOf(':') + 1) === name,
    );
    if (api === undefined) {
      throw new UsageError(
        `--quota: ${JSON.stringify(name)} is not an API a rotation calls; one of ${QUOTED_APIS.join(', ')}`,
      );
    }
    const tps = numberFlag(`quota ${name}=`, match[2], { min: 0, max: 1_000_000, minExclusive: true });
    if (tps !== undefined) quotas[api] = tps;
  }
  return quotas;
}

/** `--devices 1000000,10M,250k`: fleet sizes to project. */
export function devicesFlag(text: string | undefined): number[] {
  if (text === undefined) return [...PROJECTED_FLEET_SIZES];
  const unit: Readonly<Record<string, number>> = { '': 1, k: 1_000, m: 1_000_000 };
  return text.split(',').map((part) => {
    const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(part.trim());
    const n =
      match?.[1] !== undefined ? Number(match[1]) * (unit[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) {
      throw new UsageError(
        `--devices ${JSON.stringify(part)} is not a fleet size from 1 to 1000000000 (e.g. 250k, 10M)`,
      );
    }
    return n;
  });
}

/** `--issuer acm-pca`: whose calls make the new certificate. */
export function issuerFlag(text: string | undefined): IssuerKind {
  if (text === undefined) return 'aws-iot';
  const issuer = issuerKindOf(text);
  if (issuer === undefined) {
    throw new UsageError(`--issuer ${JSON.stringify(text)} is not one of ${ISSUER_KINDS.join(', ')}`);
  }
  return issuer;
}

export const pacingCommand: Command = {
  help: `Usage: recert pacing [--quota <API>=<tps> ...] [--starts-per-second <n>] [--max-in-flight <n>]
                     [--headroom <fraction>] [--policies <n>] [--issuer aws-iot|acm-pca]
                     [--devices <n,...>] [--output table|json|text]

Prints the pacing a campaign derives from AWS's API quotas: for every rate-limited API a rotation
calls, its quota, its calls per rotation and the rotations per second it allows; the API that limits
the fleet; the start rate (that allowance x the headroom); the in-flight ceiling (start rate x
${DEFAULT_ACTIVE_ROTATION_SECONDS} s); and how long fleets of each size take. Nothing is called: give the quotas your
account has (Service Quotas console) to see what raising them buys.

  --quota <API>=<tps>,...  quotas other than AWS's defaults, repeatable or comma-separated
                           (UpdateCertificate=50,DeleteCertificate=50)
  --starts-per-second <n>  a start rate instead of the derived one
  --max-in-flight <n>      an in-flight ceiling instead of the derived one
  --headroom <fraction>    the share of the tightest quota to use (default ${DEFAULT_HEADROOM})
  --policies <n>           policies on a device certificate (default 1; each is attached and detached)
  --issuer <who>           who signs the new certificates: aws-iot (default) or acm-pca (a private
                           CA: IssueCertificate, GetCertificate, RegisterCertificateWithoutCA)
  --devices <n,...>        fleet sizes to project (default 1M,10M; k and M suffixes)

${GLOBAL_OPTIONS_HELP}

Examples:
  recert pacing
  recert pacing --quota UpdateCertificate=100 --quota DeleteCertificate=100 --devices 250k,1M
  recert pacing --issuer acm-pca --quota UpdateCertificate=50 --quota DeleteCertificate=50
  recert pacing --starts-per-second 2 --json`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(
      args,
      {
        quota: { type: 'string', multiple: true },
        'starts-per-second': { type: 'string' },
        'max-in-flight': { type: 'string' },
        headroom: { type: 'string' },
        policies: { type: 'string' },
        issuer: { type: 'string' },
        devices: { type: 'string' },
      },
      true,
    );
    if (helpShown(values, this.help, context)) return EXIT.ok;
    if (positionals.length > 0)
      throw new UsageError(`pacing takes no argument, got ${JSON.stringify(positionals[0])}`);
    const quotas = quotaFlags(values.quota);
    const startsPerSecond = numberFlag('starts-per-second', values['starts-per-second'], {
      min: 0,
      max: 100_000,
      minExclusive: true,
    });
    const maxInFlight = intFlag('max-in-flight', values['max-in-flight'], 1, 10_000_000);
    const headroom = numberFlag('headroom', values.headroom, { min: 0, max: 1, minExclusive: true });
    const policies = intFlag('policies', values.policies, 0, 100);
    const issuer = issuerFlag(values.issuer);
    const sizes = devicesFlag(values.devices);
    let pacing: ReturnType<typeof derivePacing>;
    try {
      pacing = derivePacing({
        quotas,
        ...(headroom !== undefined ? { headroom } : {}),
        ...(policies !== undefined ? { policiesPerCertificate: policies } : {}),
        issuer,
        overrides: {
          ...(startsPerSecond !== undefined ? { startsPerSecond } : {}),
          ...(maxInFlight !== undefined ? { maxInFlight } : {}),
        },
      });
    } catch (error) {
      if (error instanceof InvalidPacingError || error instanceof InvalidQuotaError) {
        throw new UsageError(error.message, { cause: error });
      }
      throw error;
    }
    const projections = sizes.map((devices) => ({ devices, seconds: projectCampaign(devices, pacing) }));
    const overLimit = pacing.startsPerSecond > pacing.limitedBy.rotationsPerSecond;
    if (values.json) {
      printJson(context.io, { pacing, issuer, quotasRaised: quotas, projections });
      return EXIT.ok;
    }
    const { io } = context;
    const limitColumns: Column<(typeof pacing.limits)[number]>[] = [
      { header: 'API', value: (l) => l.api },
      { header: 'QUOTA (TPS)', value: (l) => l.quota, align: 'right' },
      {
        header: 'DEFAULT',
        value: (l) => (AWS_DEFAULT_QUOTAS[l.api] === l.quota ? 'yes' : `no (${AWS_DEFAULT_QUOTAS[l.api]})`),
        full: (l) => AWS_DEFAULT_QUOTAS[l.api],
      },
      { header: 'CALLS/ROTATION', value: (l) => l.callsPerRotation, align: 'right' },
      {
        header: 'ALLOWS',
        value: (l) => rate(l.rotationsPerSecond),
        full: (l) => l.rotationsPerSecond,
        align: 'right',
      },
    ];
    const projectionColumns: Column<(typeof projections)[number]>[] = [
      {
        header: 'DEVICES',
        value: (p) => p.devices.toLocaleString('en-US'),
        full: (p) => p.devices,
        align: 'right',
      },
      {
        header: 'PROJECTED',
        value: (p) => formatDuration(p.seconds),
        full: (p) => p.seconds,
        align: 'right',
      },
    ];
    if (outputFormat(values) === 'text') {
      io.stdout(
        textLine('PACING', [
          pacing.limitedBy.api,
          pacing.startsPerSecond,
          pacing.maxInFlight,
          pacing.headroom,
          pacing.failureRateThreshold,
          pacing.minFinishedForFailureRate,
          issuer,
        ]),
      );
      for (const line of renderText('LIMIT', limitColumns, pacing.limits)) io.stdout(line);
      for (const line of renderText('PROJECTION', projectionColumns, projections)) io.stdout(line);
      return EXIT.ok;
    }
    io.stdout(
      `limited by        ${pacing.limitedBy.api}: ${pacing.limitedBy.quota} TPS / ${pacing.limitedBy.callsPerRotation} per rotation allows ${rate(pacing.limitedBy.rotationsPerSecond)} rotations`,
    );
    io.stdout(
      `start rate        ${rate(pacing.startsPerSecond)}${startsPerSecond !== undefined ? ' (set)' : ` (${percent(pacing.headroom)} of it)`}`,
    );
    io.stdout(
      `in flight at most ${pacing.maxInFlight.toLocaleString('en-US')}${maxInFlight !== undefined ? ' (set)' : ` (start rate x ${DEFAULT_ACTIVE_ROTATION_SECONDS} s)`}`,
    );
    io.stdout(
      `failure-rate stop over ${percent(pacing.failureRateThreshold)} failed, once ${pacing.minFinishedForFailureRate} rotations have finished`,
    );
    if (overLimit) {
      io.stderr(
        `warning: ${rate(pacing.startsPerSecond)} is faster than ${pacing.limitedBy.api} allows (${rate(pacing.limitedBy.rotationsPerSecond)}): rotations will be throttled and retried`,
      );
    }
    io.stdout('');
    printTable(io, limitColumns, pacing.limits);
    io.stdout('');
    printTable(io, projectionColumns, projections);
    io.stdout('Projected: every device answering; offline ones are parked and finish when they come back.');
    return EXIT.ok;
  },
};
