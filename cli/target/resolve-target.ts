import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_STATE_DIR } from '../../local/index.ts';
import type { CliIo } from '../io.ts';
import { awsTarget, DEFAULT_STACK } from './aws-target.ts';
import { localTarget } from './local-target.ts';
import type { Target } from './target.ts';

export interface TargetFlags {
  readonly local?: boolean | undefined;
  readonly 'state-dir'?: string | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
}

const truthy = (text: string | undefined): boolean =>
  text !== undefined && ['1', 'true', 'yes', 'on'].includes(text.toLowerCase());

/** The local state directory, from the flag, RECERT_STATE_DIR, or `.recert` under the working directory. */
export function stateDirOf(flags: TargetFlags, io: CliIo): string {
  const dir = flags['state-dir'] ?? io.env.RECERT_STATE_DIR ?? DEFAULT_STATE_DIR;
  return isAbsolute(dir) ? dir : resolve(io.cwd, dir);
}

export function wantsLocal(flags: TargetFlags, io: CliIo): boolean {
  return flags.local === true || truthy(io.env.RECERT_LOCAL);
}

/** `--local`/RECERT_LOCAL picks the local AWS; otherwise AWS and its deployed stack. */
export function resolveTarget(flags: TargetFlags, io: CliIo): Promise<Target> {
  if (wantsLocal(flags, io)) return localTarget(stateDirOf(flags, io));
  const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  return awsTarget({
    stackName: flags.stack ?? io.env.RECERT_STACK ?? DEFAULT_STACK,
    ...(region !== undefined ? { region } : {}),
  });
}
