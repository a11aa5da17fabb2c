import { MAIN_JOB_HELP, MainJobUsageError, parseMainJobFlags } from './main-job/flags.ts';
import { createProgress } from './main-job/progress.ts';
import { campaignPassed, renderReport } from './main-job/report.ts';
import { campaignPrefix, StateDirError, wipeStateDir } from './main-job/state-dir.ts';

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
  // Loaded only now, so help and usage errors do not wait for the AWS SDK and the local services.
  const { CampaignError, runCampaign } = await import('./main-job/campaign.ts');
  try {
    if (flags.fresh) await wipeStateDir(flags.stateDir);
    // The first Ctrl-C stops the waiting and closes the local AWS cleanly; a second one ends at once.
    const interrupt = new AbortController();
    process.once('SIGINT', () => {
      process.stderr.write(
        '\nstopping: checking the devices and closing the local AWS (Ctrl-C again to quit)\n',
      );
      interrupt.abort();
    });
    const report = await runCampaign({
      flags,
      prefix: campaignPrefix(new Date()),
      progress: createProgress(process.stderr),
      signal: interrupt.signal,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return campaignPassed(report) ? 0 : 1;
  } catch (error) {
    const known = error instanceof StateDirError || error instanceof CampaignError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${known ? message : `the campaign stopped: ${message}`}\n`);
    if (process.env.RECERT_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 3;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
