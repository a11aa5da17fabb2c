import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttEndpoint } from '../../device/onboarding/provision.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { startLocal, stopLocal } from '../e2e/helpers.ts';

const RECERT = fileURLToPath(new URL('../../cli/recert.mjs', import.meta.url));
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `recert device provision` as a user runs it against AWS: no --local, the SDK's standard settings
 * in the environment (endpoint, region, keys) and no shared config or credentials files.
 */
function provision(args: string[], cwd: string, sdk: Record<string, string>): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  const env = {
    ...inherited,
    AWS_CONFIG_FILE: join(cwd, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'),
    AWS_REGION: 'us-east-1',
    ...sdk,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [RECERT, 'device', 'provision', ...args],
      { cwd, env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('recert device provision on AWS (the local AWS through the SDK endpoint settings)', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let cwd = '';

  beforeAll(async () => {
    env = await startLocal();
    cwd = await mkdtemp(join(tmpdir(), 'recert-provision-aws-'));
  });

  afterAll(async () => {
    await stopLocal(env);
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('writes the ATS endpoint and the Amazon root CAs; the certificate is ACTIVE, with the device policy and the thing', async () => {
    // Prepare: an account administrator's keys (any keys the local AWS did not issue).
    const local = (env as { local: LocalAws }).local;
    const sdk = {
      AWS_ENDPOINT_URL_IOT: local.endpoints.iot,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEADMIN',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
    };

    // Act
    const run = await provision(['meter-7'], cwd, sdk);

    // Assess: the directory.
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const dir = join(cwd, 'meter-7');
    const device = JSON.parse(await readFile(join(dir, 'device.json'), 'utf8')) as Record<string, string>;
    const { endpointAddress } = await local.clients.iot.send(
      new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
    );
    // The local IoT answers host:port (its ports are not fixed); AWS a host name, reached on 8883.
    expect(device.endpoint).toBe(endpointAddress);
    expect(run.stdout).toContain(`endpoint ${device.endpoint}`);
    const roots = ((await readFile(join(dir, 'ca.pem'), 'utf8')).match(PEM) ?? []).map(
      (pem) => new X509Certificate(pem),
    );
    expect(roots.map((ca) => ca.subject.match(/CN=(.*)/)?.[1]).sort()).toEqual([
      'Amazon Root CA 1',
      'Amazon Root CA 2',
      'Amazon Root CA 3',
      'Amazon Root CA 4',
    ]);
    expect(roots.every((ca) => ca.ca && ca.verify(ca.publicKey))).toBe(true);
    expect((await stat(join(dir, 'device.key.pem'))).mode & 0o777).toBe(0o600);
    const certificate = new X509Certificate(await readFile(join(dir, 'device.cert.pem'), 'utf8'));
    const key = createPrivateKey(await readFile(join(dir, 'device.key.pem'), 'utf8'));
    expect(certificate.checkPrivateKey(key)).toBe(true);
    expect(certificate.subject).toContain('CN=meter-7');

    // Assess: the registry.
    const described = await local.clients.iot.send(
      new DescribeCertificateCommand({ certificateId: device.certificateId }),
    );
    const arn = described.certificateDescription?.certificateArn ?? '';
    expect(described.certificateDescription?.status).toBe('ACTIVE');
    expect(new X509Certificate(described.certificateDescription?.certificatePem ?? '').raw).toEqual(
      certificate.raw,
    );
    const policies = await local.clients.iot.send(new ListAttachedPoliciesCommand({ target: arn }));
    expect(policies.policies?.map((p) => p.policyName)).toEqual([local.resources.devicePolicyName]);
    await local.clients.iot.send(new DescribeThingCommand({ thingName: 'meter-7' }));
    const principals = await local.clients.iot.send(new ListThingPrincipalsCommand({ thingName: 'meter-7' }));
    expect(principals.principals).toEqual([arn]);
  });

  it("refuses with the operator's keys, naming the permission they lack, and writes nothing", async () => {
    // Prepare: the operator role's keys from the manifest, what the recert CLI signs with.
    const local = (env as { local: LocalAws }).local;
    const operator = local.manifest.operatorCredentials;
    if (!operator) throw new Error('the local manifest has no operator credentials');
    const sdk = {
      AWS_ENDPOINT_URL: local.endpoints.iot,
      AWS_ACCESS_KEY_ID: operator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
    };

    // Act
    const run = await provision(['meter-8'], cwd, sdk);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^recert device provision: AccessDeniedException: .*iot:DescribeEndpoint/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(stat(join(cwd, 'meter-8'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(
      local.clients.iot.send(new DescribeThingCommand({ thingName: 'meter-8' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('reaches an AWS endpoint host name on 8883, and keeps a port the address names', () => {
    // Act
    const aws = mqttEndpoint('a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com');
    const local = mqttEndpoint('127.0.0.1:41883');

    // Assess
    expect(aws).toBe('a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com:8883');
    expect(local).toBe('127.0.0.1:41883');
  });
});
