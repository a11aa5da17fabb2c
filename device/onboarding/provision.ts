import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { namedError } from '../../lib/named-error.ts';
import { LOCAL_CREDENTIALS, type LocalAwsManifest, MANIFEST_FILE } from '../../local/index.ts';
import { DEVICE_POLICY_NAME } from '../../workflows/rotate-device/device-policy.ts';
import { createCsrPem, generatePrivateKeyPem, type KeyType } from '../agent/crypto.ts';
import type { DeviceDirContents } from './device-dir.ts';

/** Where a device is provisioned: the IoT API, the policy devices get, and what the device must know. */
export interface ProvisionTarget {
  readonly iot: IoTClient;
  readonly devicePolicyName: string;
  /** host:port of the MQTT endpoint. */
  readonly endpoint: string;
  /** CA bundle the endpoint's server certificate chains to. */
  readonly caPem: string;
}

export class ProvisionTargetError extends namedError('ProvisionTargetError') {}

/** The local AWS running from `stateDir`, as its manifest describes it. */
export async function localProvisionTarget(stateDir: string): Promise<ProvisionTarget> {
  const path = join(stateDir, MANIFEST_FILE);
  let manifest: LocalAwsManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as LocalAwsManifest;
  } catch {
    throw new ProvisionTargetError(
      `no local AWS found: ${path} cannot be read (start it with "recert local up")`,
    );
  }
  const { endpoints, resources } = manifest;
  return {
    // The account's administrator, as a person provisioning devices on AWS would be.
    iot: new IoTClient({ endpoint: endpoints.iot, region: resources.region, credentials: LOCAL_CREDENTIALS }),
    devicePolicyName: resources.devicePolicyName,
    endpoint: `${endpoints.mqtt.host}:${endpoints.mqtt.port}`,
    caPem: await readFile(endpoints.rootCaPath, 'utf8'),
  };
}

/**
 * AWS IoT Core with the default credential chain: the account's ATS data endpoint (port 8883, its
 * host name also the TLS server name) and the Amazon root CAs it chains to.
 */
export async function awsProvisionTarget(
  region: string | undefined,
  policyName?: string,
): Promise<ProvisionTarget> {
  const iot = new IoTClient(region !== undefined ? { region } : {});
  const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  if (!endpointAddress) throw new ProvisionTargetError('DescribeEndpoint returned no iot:Data-ATS address');
  return {
    iot,
    devicePolicyName: policyName ?? DEVICE_POLICY_NAME,
    endpoint: mqttEndpoint(endpointAddress),
    caPem: amazonRootCaBundle(),
  };
}

/** AWS IoT Core's port for MQTT over mutual TLS. */
export const AWS_MQTT_PORT = 8883;

/**
 * host:port of a DescribeEndpoint address: AWS answers a host name, reached on 8883; an address
 * that names its port (the local AWS, whose ports are not fixed) keeps it.
 */
export function mqttEndpoint(endpointAddress: string): string {
  return /:\d{1,5}$/.test(endpointAddress) ? endpointAddress : `${endpointAddress}:${AWS_MQTT_PORT}`;
}

/** Amazon Root CA 1-4, from Node's bundled Mozilla store. */
export function amazonRootCaBundle(): string {
  const amazon = rootCertificates.filter((pem) =>
    /CN=Amazon Root CA \d/.test(new X509Certificate(pem).subject),
  );
  if (amazon.length === 0) throw new ProvisionTargetError('no Amazon root CA in this Node.js build');
  return `${amazon.join('\n')}\n`;
}

export interface ProvisionRequest {
  readonly thingName: string;
  /** A CSR made on the device; without it the key is made here. */
  readonly csrPem?: string;
  readonly keyType: KeyType;
}

/**
 * Creates the thing (or reuses it), a key and CSR here unless the device made its own, an ACTIVE
 * certificate from the CSR, and attaches the device policy and the thing to it.
 */
export async function provisionThing(
  target: ProvisionTarget,
  request: ProvisionRequest,
): Promise<DeviceDirContents> {
  const { iot } = target;
  const { thingName } = request;
  try {
    await iot.send(new DescribeThingCommand({ thingName }));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
    await iot.send(new CreateThingCommand({ thingName }));
  }
  const privateKeyPem =
    request.csrPem === undefined ? await generatePrivateKeyPem(request.keyType) : undefined;
  const csrPem = request.csrPem ?? (await createCsrPem(privateKeyPem ?? '', thingName));
  const created = await iot.send(
    new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: true }),
  );
  const { certificateArn, certificateId, certificatePem } = created;
  if (!certificateArn || !certificateId || !certificatePem) {
    throw new ProvisionTargetError('CreateCertificateFromCsr returned no certificate');
  }
  await iot.send(new AttachPolicyCommand({ policyName: target.devicePolicyName, target: certificateArn }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  return {
    thingName,
    endpoint: target.endpoint,
    certificateId,
    certificatePem,
    ...(privateKeyPem !== undefined ? { privateKeyPem } : {}),
    caPem: target.caPem,
  };
}
