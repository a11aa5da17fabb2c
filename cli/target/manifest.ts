import { readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type LocalAwsManifest, type LocalResources, MANIFEST_FILE } from '../../local/index.ts';
import { TargetUnavailableError } from '../errors.ts';

const Url = z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'an http(s)://host:port URL');

export const LocalAwsManifestSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  clockSpeed: z.number().positive(),
  endpoints: z.object({
    stepFunctions: Url,
    iot: Url,
    iotData: Url,
    dynamodb: Url,
    sns: Url,
    eventBridge: Url,
    mqtt: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) }),
    rootCaPath: z.string(),
    acmPca: Url.optional(),
  }),
  resources: z.object({
    region: z.string().min(1),
    accountId: z.string().regex(/^\d{12}$/),
    stateMachineArn: z.string().min(1),
    rotationTableName: z.string().min(1),
    escalationTopicArn: z.string().min(1),
    auditTopicArn: z.string().min(1),
    devicePolicyName: z.string().min(1),
    // Optional: a local AWS from before campaigns still serves every other command.
    campaignTableName: z.string().min(1).optional(),
    campaignStateMachineArn: z.string().min(1).optional(),
  }),
  operatorCredentials: z
    .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
    .optional(),
}) satisfies z.ZodType<ManifestWithOptionalCampaign>;

type CampaignResource = 'campaignTableName' | 'campaignStateMachineArn';

/** The manifest as the CLI reads it: the campaign resources may be missing. */
export type ManifestWithOptionalCampaign = Omit<LocalAwsManifest, 'resources'> & {
  readonly resources: Omit<LocalResources, CampaignResource> & {
    readonly [K in CampaignResource]?: string | undefined;
  };
};

export const manifestPath = (stateDir: string): string => join(stateDir, MANIFEST_FILE);

const START_HINT = 'start it with "recert local up" (in another terminal), or drop --local to target AWS';

/** Reads `<stateDir>/endpoints.json`, which exists while a local AWS runs from that directory. */
export async function readManifest(stateDir: string): Promise<ManifestWithOptionalCampaign> {
  const path = manifestPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TargetUnavailableError(`the local AWS is not running: ${path} does not exist`, {
      cause: error,
      hint: START_HINT,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TargetUnavailableError(`${path} is not valid JSON`, { cause: error, hint: START_HINT });
  }
  const parsed = LocalAwsManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : parsed.error.message;
    throw new TargetUnavailableError(`${path} is not a local AWS manifest (${where})`, { hint: START_HINT });
  }
  return parsed.data;
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/** Reads the manifest and checks its process still runs: a stale file must not pass for a live AWS. */
export async function readLiveManifest(stateDir: string): Promise<ManifestWithOptionalCampaign> {
  const manifest = await readManifest(stateDir);
  if (!processAlive(manifest.pid)) {
    throw new TargetUnavailableError(
      `the local AWS is not running: process ${manifest.pid} named in ${manifestPath(stateDir)} has exited`,
      { hint: START_HINT },
    );
  }
  return manifest;
}

/**
 * Removes the manifest when this process wrote it: for a process ending at once (a second Ctrl-C),
 * so no stale manifest points other commands at services that are gone.
 */
export function removeOwnManifestSync(stateDir: string): void {
  try {
    const pid: unknown = JSON.parse(readFileSync(manifestPath(stateDir), 'utf8')).pid;
    if (pid === process.pid) rmSync(manifestPath(stateDir), { force: true });
  } catch {
    // No manifest, or not one to read: nothing of ours to remove.
  }
}

export { START_HINT };
