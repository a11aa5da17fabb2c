import { errorName } from './errors.ts';
import { endQuietlyOnClosedPipe } from './io.ts';
import { MAIN_JOB_HELP, MainJobUsageError, parseMainJobFlags } from './main-job/flags.ts';
import { createProgress } from './main-job/progress.ts';
import { campaignPassed, renderReport } from './main-job/report.ts';
import { campaignPrefix, StateDirError, wipeStateDir } from './main-job/state-dir.ts';
import { onStopSignal } from './signals.ts';
import { removeOwnManifestSync } from './target/manifest.ts';
import { prepareStateDir, StateDirUnusableError } from './target/state-dir.ts';

/** `npm start`: a whole fleet rotation on the local AWS; exit 0 only when it went as it should. */
async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseMainJobFlags>;
  try {
    parsed = parseMainJobFlags(argv);
  } catch (error) {
    if (error instanceof MainJobUsageError) {
      process.stderr.write(`error: ${error.message}\nRun "npm start -- --help" for the options.\n`);
      return 2;
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(`${MAIN_JOB_HELP}\n`);
    return 0;
  }
  const { flags } = parsed;
  try {
    if (flags.fresh) await wipeStateDir(flags.stateDir);
    await prepareStateDir(flags.stateDir);
    // Loaded only now, so help and usage errors do not wait for the AWS SDK and the local services.
    const { runCampaign } = await import('./main-job/campaign.ts');
    // Ctrl-C or SIGTERM stops the waiting, checks the devices, prints the report and closes the
    // local AWS (removing its manifest); one more a second later ends at once.
    const interrupt = onStopSignal({
      onFirst: () =>
        process.stderr.write(
          '\nstopping: checking the devices and closing the local AWS (Ctrl-C again to quit)\n',
        ),
      onForce: () => removeOwnManifestSync(flags.stateDir),
    });
    const report = await runCampaign({
      flags,
      prefix: campaignPrefix(new Date()),
      progress: createProgress(process.stderr),
      signal: interrupt.signal,
    }).finally(() => interrupt.dispose());
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return campaignPassed(report) ? 0 : 1;
  } catch (error) {
    if (error instanceof StateDirUnusableError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    const known = error instanceof StateDirError || errorName(error) === 'CampaignError';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${known ? message : `the campaign stopped: ${message}`}\n`);
    if (process.env.RECERT_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 3;
  }
}

endQuietlyOnClosedPipe(process.stdout);
const code = await main(process.argv.slice(2));
process.exitCode = code;
