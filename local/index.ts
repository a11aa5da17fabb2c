/**
 * The local AWS as other folders use it: where a running one is found (its defaults and manifest), the
 * files it keeps in its state directory (function logs, published escalations), and how to start one.
 * Nothing of the emulator loads until a start function runs, so a command that reads files stays quick.
 */
import type { StartLocalAwsOptions } from './stack/control.ts';
import type { LocalAws, LocalAwsOptions } from './stack/local-aws.ts';

export { DEFAULT_STATE_DIR, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from './config.ts';
export { type JournalEntry, readPublishedJournal } from './events/sns-journal.ts';
export type { LocalIotCore } from './iot/iot-core.ts';
export { FunctionLogLine, functionLogPaths } from './lambda/function-log-format.ts';
export type { StartLocalAwsOptions } from './stack/control.ts';
export type { LocalAws, LocalAwsOptions } from './stack/local-aws.ts';
export { type LocalAwsManifest, type LocalResources, MANIFEST_FILE } from './stack/types.ts';

/** `recert local up`: every service on loopback until `stop` (the CLI loads this module at run time). */
export async function startLocalAws(options: StartLocalAwsOptions) {
  return (await import('./stack/control.ts')).startLocalAws(options);
}

/** The whole local AWS in this process, with every option of `LocalAws.start` (the main job, benchmarks). */
export async function launchLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const { LocalAws } = await import('./stack/local-aws.ts');
  return LocalAws.start(options);
}
