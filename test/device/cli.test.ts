import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, EXIT_OK, EXIT_USAGE, runDeviceCommand } from '../../device/cli.ts';
import {
  type DeviceFiles,
  deviceRunArgs,
  makeDeviceFiles,
  removeDeviceFiles,
} from './helpers/agent-harness.ts';
import { TestBroker } from './helpers/test-broker.ts';

function capture(signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (line: string) => out.push(line),
      stderr: (line: string) => err.push(line),
      ...(signal ? { signal } : {}),
    },
  };
}

describe('recert device CLI', () => {
  let broker: TestBroker;
  let files: DeviceFiles;
  let thing: string;

  beforeAll(async () => {
    broker = await TestBroker.start();
    thing = `cli-${randomUUID().slice(0, 8)}`;
    files = await makeDeviceFiles(await broker.provisionDevice(thing), broker.pki.caCertificatePem);
  });
  afterAll(async () => {
    await broker.stop();
    await removeDeviceFiles(files);
  });

  function validArgs(): string[] {
    return deviceRunArgs(thing, files, `127.0.0.1:${broker.port}`, { stateDir: false });
  }

  it('prints usage for --help with exit 0', async () => {
    const c = capture();
    expect(await runDeviceCommand(['run', '--help'], c.io)).toBe(EXIT_OK);
    expect(c.out.join('\n')).toMatch(/Usage: recert device run --dir <dir>\n\s+recert device run --thing/);
  });

  it('refuses --dir without a device.json with exit 2, naming the file', async () => {
    const c = capture();
    expect(await runDeviceCommand(['run', '--dir', files.dir], c.io)).toBe(EXIT_USAGE);
    expect(c.err.join('\n')).toMatch(/--dir: .*device\.json cannot be read: .*recert device provision/);
  });

  it('refuses provision without a thing name, and with two, with exit 2', async () => {
    const none = capture();
    const two = capture();
    expect(await runDeviceCommand(['provision', '--local'], none.io)).toBe(EXIT_USAGE);
    expect(await runDeviceCommand(['provision', 'a', 'b', '--local'], two.io)).toBe(EXIT_USAGE);
    expect(none.err.join('\n')).toMatch(/a thing name is needed/);
    expect(two.err.join('\n')).toMatch(/one thing at a time/);
  });

  const cases: [string, (args: string[]) => string[], RegExp][] = [
    ['an unknown flag', (a) => [...a, '--bogus', 'x'], /Unknown option '--bogus'/],
    ['a missing required flag', (a) => a.filter((_, i) => i !== 1 && i !== 2), /missing --thing/],
    ['a bad thing name', (a) => a.map((v) => (v === thing ? 'bad/name' : v)), /not a valid thing name/],
    [
      'an endpoint without a port',
      (a) => a.map((v) => (v.startsWith('127.0.0.1:') ? '127.0.0.1' : v)),
      /not host:port/,
    ],
    [
      'a port out of range',
      (a) => a.map((v) => (v.startsWith('127.0.0.1:') ? '127.0.0.1:70000' : v)),
      /port 1-65535/,
    ],
    ['an unknown key type', (a) => [...a, '--key-type', 'rsa-1024'], /--key-type "rsa-1024" is not one of/],
    [
      'a missing certificate file',
      (a) => a.map((v) => (v === files.certificatePath ? `${v}.nope` : v)),
      /--cert .*ENOENT/,
    ],
    ['a missing CA file', (a) => a.map((v) => (v === files.caPath ? `${v}.nope` : v)), /--ca .*ENOENT/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects ${what} with exit 2 and a message naming it`, async () => {
      // Prepare
      const c = capture();

      // Act
      const code = await runDeviceCommand(mutate(validArgs()), c.io);

      // Assess
      expect(code).toBe(EXIT_USAGE);
      expect(c.err.join('\n')).toMatch(message);
    });
  }

  it('rejects an unknown subcommand', async () => {
    const c = capture();
    expect(await runDeviceCommand(['fly'], c.io)).toBe(EXIT_USAGE);
    expect(c.err.join('\n')).toMatch(/unknown subcommand "fly"/);
  });

  it('exits 2 naming the configuration error when the key does not match the certificate', async () => {
    // Prepare
    const other = await broker.provisionDevice(`${thing}-b`);
    const mismatched = await makeDeviceFiles(
      { ...other, privateKeyPem: (await broker.pki.issueDevice(thing)).privateKeyPem },
      broker.pki.caCertificatePem,
    );
    const c = capture();
    const args = validArgs().map((v) =>
      v === files.certificatePath
        ? mismatched.certificatePath
        : v === files.privateKeyPath
          ? mismatched.privateKeyPath
          : v,
    );

    // Act
    const code = await runDeviceCommand(args, c.io);

    // Assess
    expect(code).toBe(EXIT_CONFIG);
    expect(c.err.join('\n')).toMatch(/CredentialMismatchError: .*does not match the certificate/);
    await removeDeviceFiles(mismatched);
  });

  it('runs the agent, reports events as JSON lines without key material, and stops with exit 0', async () => {
    // Prepare
    const stop = new AbortController();
    const c = capture(stop.signal);

    // Act
    const running = runDeviceCommand(validArgs(), c.io);
    const deadline = Date.now() + 10_000;
    while (!c.out.some((line) => line.includes('"connected"')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop.abort();
    const code = await running;

    // Assess
    expect(code).toBe(EXIT_OK);
    const events = c.out.map((line) => JSON.parse(line));
    expect(events.some((e) => e.type === 'connected')).toBe(true);
    expect(c.out.join('\n')).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});
