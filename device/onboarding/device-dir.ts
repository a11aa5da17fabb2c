import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { namedError } from '../../lib/named-error.ts';

/**
 * A ready-to-run agent directory: what `recert device provision` writes and `recert device run
 * --dir` reads. `device.json` names the thing, the endpoint and the files beside it.
 */

export const DEVICE_FILE = 'device.json';
export const FILES = {
  certificate: 'device.cert.pem',
  privateKey: 'device.key.pem',
  ca: 'ca.pem',
} as const;

const DeviceConfig = z
  .object({
    thingName: z.string().min(1),
    /** host:port of the MQTT endpoint. */
    endpoint: z.string().min(1),
    certificateId: z.string().regex(/^[0-9a-f]{64}$/),
    certificate: z.string().min(1),
    privateKey: z.string().min(1),
    ca: z.string().min(1),
  })
  .strict();
export type DeviceConfig = z.infer<typeof DeviceConfig>;

export interface DeviceDirContents {
  readonly thingName: string;
  readonly endpoint: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  /** Absent when the key was made on the device (`--csr`): it goes in by hand. */
  readonly privateKeyPem?: string;
  readonly caPem: string;
}

export async function writeDeviceDir(dir: string, contents: DeviceDirContents): Promise<DeviceConfig> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, FILES.certificate), contents.certificatePem);
  if (contents.privateKeyPem !== undefined) {
    await writeFile(join(dir, FILES.privateKey), contents.privateKeyPem, { mode: 0o600 });
  }
  await writeFile(join(dir, FILES.ca), contents.caPem);
  const config: DeviceConfig = {
    thingName: contents.thingName,
    endpoint: contents.endpoint,
    certificateId: contents.certificateId,
    certificate: FILES.certificate,
    privateKey: FILES.privateKey,
    ca: FILES.ca,
  };
  await writeFile(join(dir, DEVICE_FILE), `${JSON.stringify(config, null, 2)}\n`);
  return config;
}

export class DeviceDirError extends namedError('DeviceDirError') {}

/** The settings of an agent directory, its file names made absolute; a clear error when it is not one. */
export async function readDeviceDir(dir: string): Promise<DeviceConfig> {
  const path = join(dir, DEVICE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new DeviceDirError(
      `${path} cannot be read: is ${dir} a directory made by "recert device provision"?`,
    );
  }
  const parsed = DeviceConfig.safeParse(safeJson(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DeviceDirError(
      `${path}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const config = parsed.data;
  return {
    ...config,
    certificate: resolve(dir, config.certificate),
    privateKey: resolve(dir, config.privateKey),
    ca: resolve(dir, config.ca),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
