import { namedError } from '../lib/named-error.ts';
import type { StartLocalAwsOptions } from '../local/index.ts';
import type { ManifestWithOptionalCampaign as LocalAwsManifest } from './target/manifest.ts';
import { LocalAwsManifestSchema } from './target/manifest.ts';

/** What `recert local up` asks of the local AWS: its own type (local/stack/control.ts). */
export type { StartLocalAwsOptions };

export interface RunningLocalAws {
  readonly manifest: LocalAwsManifest;
  stop(): Promise<void>;
}

export interface LocalAwsControl {
  startLocalAws(options: StartLocalAwsOptions): Promise<RunningLocalAws>;
}

/**
 * The module that implements LocalAwsControl, relative to this file: `.ts` from the source,
 * `.js` from the build in dist/.
 */
export const LOCAL_AWS_MODULE = `../local/index.${import.meta.url.endsWith('.js') ? 'js' : 'ts'}`;

export class LocalAwsUnavailableError extends namedError('LocalAwsUnavailableError') {}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * Loads the local AWS implementation. It is looked up at run time so that the command works (and
 * says so clearly) in a build where the local AWS is absent.
 */
export async function loadLocalAwsControl(modulePath = LOCAL_AWS_MODULE): Promise<LocalAwsControl> {
  let loaded: unknown;
  try {
    loaded = await import(new URL(modulePath, import.meta.url).href);
  } catch (error) {
    const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
    if (code === 'ERR_MODULE_NOT_FOUND') {
      throw new LocalAwsUnavailableError(
        `the local AWS is not part of this build (${modulePath} is missing)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const start = isRecord(loaded) ? loaded.startLocalAws : undefined;
  if (typeof start !== 'function') {
    throw new LocalAwsUnavailableError(`${modulePath} does not export startLocalAws`);
  }
  return {
    async startLocalAws(options) {
      const running: unknown = await start(options);
      if (!isRecord(running) || !isRecord(running.manifest) || typeof running.stop !== 'function') {
        throw new LocalAwsUnavailableError('startLocalAws did not return { manifest, stop }');
      }
      const stop = running.stop;
      const manifest = LocalAwsManifestSchema.safeParse(running.manifest);
      if (!manifest.success) {
        await stop.call(running);
        throw new LocalAwsUnavailableError(
          `startLocalAws returned a malformed manifest: ${manifest.error.message}`,
        );
      }
      return {
        manifest: manifest.data,
        stop: async () => {
          await stop.call(running);
        },
      };
    },
  };
}
