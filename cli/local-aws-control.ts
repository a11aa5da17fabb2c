import type { ScaledClock } from '../lib/clock.ts';
import type { ManifestWithOptionalCampaign as LocalAwsManifest } from './target/manifest.ts';
import { LocalAwsManifestSchema } from './target/manifest.ts';

/**
 * What `recert local up` needs from the embedded local AWS (implemented in `local/stack/`):
 * start every service on loopback from a state directory, write `<stateDir>/endpoints.json`
 * (the manifest) once all of them listen, and on `stop` close them and remove the manifest.
 */
export interface StartLocalAwsOptions {
  readonly stateDir: string;
  /** Clock speed: 1 is real time (default), 3600 makes an hour pass in a second. */
  readonly clockSpeed?: number;
  /** The services' clock, at `clockSpeed` (e.g. the state directory's saved clock, continued). */
  readonly clock?: ScaledClock;
  /** Issue new certificates from a local ACM Private CA valid this many days (IoT's own CA otherwise). */
  readonly privateCaDays?: number;
  /** Fixed ports; the defaults of `local/config.ts` otherwise (0: any free port). */
  readonly ports?: Partial<Record<'stepFunctions' | 'iot' | 'mqtt' | 'dynamodb' | 'events', number>>;
  /** Where the services' log lines go (the CLI sends them to stderr). */
  readonly log?: (line: string) => void;
}

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
export const LOCAL_AWS_MODULE = `../local/stack/control.${import.meta.url.endsWith('.js') ? 'js' : 'ts'}`;

export class LocalAwsUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalAwsUnavailableError';
  }
}

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
