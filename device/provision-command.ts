import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { isThingName } from '../workflows/rotate-device/protocol.ts';
import { isKeyType, KEY_TYPES } from './agent/crypto.ts';
import { writeDeviceDir } from './onboarding/device-dir.ts';
import {
  awsProvisionTarget,
  localProvisionTarget,
  type ProvisionTarget,
  provisionThing,
} from './onboarding/provision.ts';
import { parseDeviceArgs, usageFailure } from './usage.ts';

export const PROVISION_USAGE = `Usage: recert device provision <thing> --local [--state-dir <dir>] [--dir <dir>] [--csr <file>] [--key-type <type>]
       recert device provision <thing> [--region <region>] [--policy <name>] [--dir <dir>] [--csr <file>] [--key-type <type>]

Creates the thing (or reuses it), a key (here, or on the device with --csr), an ACTIVE certificate
and attaches the device policy, then writes a directory "recert device run --dir" runs from:
device.json (thing, endpoint), device.cert.pem, device.key.pem (mode 0600) and ca.pem.

  --local       the local AWS running from --state-dir (default .recert)
  --region      AWS: the region (default: the SDK's); the endpoint is the account's iot:Data-ATS one
  --policy      AWS: the device policy (default recert-device, as the recert stack deploys it)
  --dir         where to write the agent directory (default ./<thing>)
  --csr         a CSR made on the device (CN = thing name); no key is written then
  --key-type    ${KEY_TYPES.join('|')} (default ec-p256)`;

export interface ProvisionIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly cwd: string;
}

/** `recert device provision ...`; resolves with the exit code (0 done, 1 the cloud refused, 2 usage). */
export async function runProvisionCommand(args: string[], io: ProvisionIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(args));
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    io.stdout(PROVISION_USAGE);
    return 0;
  }
  const [thingName, ...extra] = positionals;
  if (thingName === undefined) return usage(io, 'a thing name is needed');
  if (extra.length > 0) return usage(io, `one thing at a time (got ${positionals.length})`);
  if (!isThingName(thingName)) return usage(io, `${JSON.stringify(thingName)} is not a valid thing name`);
  const keyType = values['key-type'] ?? 'ec-p256';
  if (!isKeyType(keyType))
    return usage(io, `--key-type ${JSON.stringify(keyType)} is not one of ${KEY_TYPES.join(', ')}`);
  let csrPem: string | undefined;
  if (values.csr !== undefined) {
    try {
      csrPem = await readFile(resolve(io.cwd, values.csr), 'utf8');
    } catch {
      return usage(io, `--csr ${values.csr}: cannot read the file`);
    }
  }
  const dir = resolve(io.cwd, values.dir ?? thingName);
  let target: ProvisionTarget | undefined;
  try {
    target = values.local
      ? await localProvisionTarget(resolve(io.cwd, values['state-dir'] ?? '.recert'))
      : await awsProvisionTarget(values.region, values.policy);
    const contents = await provisionThing(target, { thingName, keyType, ...(csrPem ? { csrPem } : {}) });
    await writeDeviceDir(dir, contents);
    const shown = relative(io.cwd, dir) || '.';
    io.stdout(
      `provisioned ${thingName}: certificate ${contents.certificateId}, endpoint ${contents.endpoint}`,
    );
    io.stdout(`wrote ${shown}/ (device.json, device.cert.pem, ${csrPem ? '' : 'device.key.pem, '}ca.pem)`);
    if (csrPem) io.stdout(`put the device's key in ${shown}/device.key.pem (mode 0600)`);
    io.stdout(`next: recert device run --dir ${shown}`);
    return 0;
  } catch (error) {
    const named = error instanceof Error ? error : new Error(String(error));
    io.stderr(`recert device provision: ${named.name}: ${named.message}`);
    return 1;
  } finally {
    target?.iot.destroy();
  }
}

function parse(args: string[]) {
  return parseDeviceArgs(
    args,
    {
      local: { type: 'boolean' },
      'state-dir': { type: 'string' },
      region: { type: 'string' },
      policy: { type: 'string' },
      dir: { type: 'string' },
      csr: { type: 'string' },
      'key-type': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
}

function usage(io: ProvisionIo, reason: string): number {
  return usageFailure(io, 'provision', reason);
}
