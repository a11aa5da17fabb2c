import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isThingName } from '../workflows/rotate-device/protocol.ts';
import { isKeyType, KEY_TYPES, type KeyType } from './agent/crypto.ts';
import { DeviceAgent } from './agent/device-agent.ts';
import { FileCredentialStore } from './agent/file-credential-store.ts';
import { runTestCommand } from './conformance/test-command.ts';
import { type DeviceConfig, readDeviceDir } from './onboarding/device-dir.ts';
import { runProvisionCommand } from './provision-command.ts';
import { DeviceUsageError, parseDeviceArgs, usageFailure } from './usage.ts';

export const DEVICE_USAGE = `Usage: recert device run --dir <dir>
       recert device run --thing <name> --cert <file> --key <file> --ca <file> --endpoint <host:port>
                         [--key-type ${KEY_TYPES.join('|')}] [--state-dir <dir>] [--issuer-ca <file>]
       recert device provision <thing> ... (see recert device provision --help)
       recert device test <thing> --local ... (checks a device's firmware; see recert device test --help)

Runs the recert device agent: connects to the MQTT endpoint over mutual TLS with the device's
certificate and key, and answers certificate rotations. The certificate and key files are replaced
in place when a rotation has been proven; the rotation journal lives in the state directory.

  --dir         a directory made by "recert device provision": thing, files and endpoint from its
                device.json (the flags below override it)
  --thing       thing name, also the MQTT client id
  --cert        the device certificate (PEM)
  --key         the device private key (PEM; kept with mode 0600)
  --ca          CA bundle that signed the endpoint's server certificate (PEM)
  --endpoint    host:port of the MQTT broker (e.g. 127.0.0.1:8883)
  --key-type    type of new keys (default ec-p256)
  --state-dir   where the rotation journal and pending files live (default: <dir of --cert>/.recert-device)
  --issuer-ca   CA bundle a delivered certificate must chain to (optional)
  --help        show this help

It reconnects forever (capped exponential backoff with jitter) when the endpoint is unreachable,
the connection drops or the broker restarts.

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 wrong usage or configuration (the reason is printed).`;

export const EXIT_OK = 0;
/** Wrong usage or a configuration the agent cannot run with (e.g. a key that does not match). */
export const EXIT_USAGE = 2;
export const EXIT_CONFIG = EXIT_USAGE;

export interface DeviceCommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Stops the agent when aborted; by default SIGINT and SIGTERM do. */
  readonly signal?: AbortSignal;
  /** Relative paths are resolved from here (default: the process's working directory). */
  readonly cwd?: string;
}

const defaultIo: DeviceCommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

interface RunSettings {
  thingName: string;
  certificatePath: string;
  privateKeyPath: string;
  caPem: string;
  issuerCaPem?: string;
  host: string;
  port: number;
  keyType: KeyType;
  stateDir: string;
}

/** `recert device <subcommand> ...`; resolves with the process exit code. */
export async function runDeviceCommand(argv: string[], io: DeviceCommandIo = defaultIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    io.stdout(DEVICE_USAGE);
    return subcommand === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (subcommand === 'provision') {
    return runProvisionCommand(rest, { stdout: io.stdout, stderr: io.stderr, cwd: io.cwd ?? process.cwd() });
  }
  if (subcommand === 'test') {
    return runTestCommand(rest, {
      stdout: io.stdout,
      stderr: io.stderr,
      cwd: io.cwd ?? process.cwd(),
      ...(io.signal ? { signal: io.signal } : {}),
    });
  }
  if (subcommand !== 'run') {
    io.stderr(
      `recert device: unknown subcommand ${JSON.stringify(subcommand)}; expected "run", "provision" or "test"\n\n${DEVICE_USAGE}`,
    );
    return EXIT_USAGE;
  }
  let settings: RunSettings | 'help';
  try {
    settings = await parseRunFlags(rest, io.cwd ?? process.cwd());
  } catch (error) {
    if (error instanceof DeviceUsageError) return usageFailure(io, 'run', error.message);
    throw error;
  }
  if (settings === 'help') {
    io.stdout(DEVICE_USAGE);
    return EXIT_OK;
  }
  return runAgent(settings, io);
}

async function parseRunFlags(args: string[], cwd: string): Promise<RunSettings | 'help'> {
  let values = parseFlags(args);
  if (values.help) return 'help';
  if (values.dir !== undefined) {
    const dir = resolve(cwd, values.dir);
    let config: DeviceConfig;
    try {
      config = await readDeviceDir(dir);
    } catch (error) {
      throw new DeviceUsageError(`--dir: ${error instanceof Error ? error.message : String(error)}`);
    }
    values = {
      thing: config.thingName,
      cert: config.certificate,
      key: config.privateKey,
      ca: config.ca,
      endpoint: config.endpoint,
      'state-dir': join(dir, 'state'),
      ...values,
    };
  }
  const missing = (['thing', 'cert', 'key', 'ca', 'endpoint'] as const).filter(
    (flag) => values[flag] === undefined,
  );
  if (missing.length > 0)
    throw new DeviceUsageError(`missing ${missing.map((flag) => `--${flag}`).join(', ')}`);
  const thingName = values.thing ?? '';
  if (!isThingName(thingName)) {
    throw new DeviceUsageError(
      `--thing ${JSON.stringify(thingName)} is not a valid thing name (1-128 of a-z A-Z 0-9 : _ -)`,
    );
  }
  const endpoint = parseEndpoint(values.endpoint ?? '');
  const keyType = values['key-type'] ?? 'ec-p256';
  if (!isKeyType(keyType)) {
    throw new DeviceUsageError(`--key-type ${JSON.stringify(keyType)} is not one of ${KEY_TYPES.join(', ')}`);
  }
  const certificatePath = resolve(cwd, values.cert ?? '');
  const privateKeyPath = resolve(cwd, values.key ?? '');
  await requireReadable('--cert', certificatePath);
  await requireReadable('--key', privateKeyPath);
  const caPem = await requireReadable('--ca', resolve(cwd, values.ca ?? ''));
  const issuerCaPem =
    values['issuer-ca'] !== undefined
      ? await requireReadable('--issuer-ca', resolve(cwd, values['issuer-ca']))
      : undefined;
  return {
    thingName,
    certificatePath,
    privateKeyPath,
    caPem,
    ...(issuerCaPem !== undefined ? { issuerCaPem } : {}),
    host: endpoint.host,
    port: endpoint.port,
    keyType,
    stateDir: resolve(cwd, values['state-dir'] ?? join(dirname(certificatePath), '.recert-device')),
  };
}

function parseFlags(args: string[]) {
  return parseDeviceArgs(
    args,
    {
      dir: { type: 'string' },
      thing: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      endpoint: { type: 'string' },
      'key-type': { type: 'string' },
      'state-dir': { type: 'string' },
      'issuer-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  ).values;
}

function parseEndpoint(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new DeviceUsageError(`--endpoint ${JSON.stringify(text)} is not host:port (port 1-65535)`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

async function requireReadable(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new DeviceUsageError(`${flag} ${path}: cannot read the file (${code})`);
  }
}

async function runAgent(settings: RunSettings, io: DeviceCommandIo): Promise<number> {
  const store = new FileCredentialStore({
    certificatePath: settings.certificatePath,
    privateKeyPath: settings.privateKeyPath,
    stateDir: settings.stateDir,
  });
  const agent = new DeviceAgent({
    thingName: settings.thingName,
    endpoint: { host: settings.host, port: settings.port },
    serverCaPem: settings.caPem,
    ...(settings.issuerCaPem !== undefined ? { issuerCaPem: settings.issuerCaPem } : {}),
    store,
    keyType: settings.keyType,
  });
  // One JSON line per event: machine-readable, and free of keys and certificates by construction.
  agent.onEvent((event) => io.stdout(JSON.stringify({ time: new Date().toISOString(), ...event })));
  try {
    await agent.start();
  } catch (error) {
    const named = error instanceof Error ? error : new Error(String(error));
    io.stderr(`recert device run: cannot start: ${named.name}: ${named.message}`);
    return EXIT_CONFIG;
  }
  // The agent's own timers do not hold the process open (they are shared with the simulator), and
  // while it waits to reconnect nothing else does: this does, until a signal stops the agent.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await waitForStop(io.signal);
    await agent.stop();
  } finally {
    clearInterval(keepAlive);
  }
  return EXIT_OK;
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolvePromise) => {
    if (signal) {
      if (signal.aborted) resolvePromise();
      else signal.addEventListener('abort', () => resolvePromise(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolvePromise();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
