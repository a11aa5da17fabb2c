/**
 * The fast path for provisioning test fleets: thing, key pair and ACTIVE certificate with a chosen
 * validity, policy and thing attachment, in-process. The fleet simulator and the benchmark use it
 * for thousands of devices; it applies the same registry rules as the SDK path.
 */

import { DEVICE_POLICY_NAME, devicePolicyDocument } from '../../workflows/rotate-device/device-policy.ts';
import type { KeyKind } from './ca/certificates.ts';
import type { IssuedValidity } from './registry/certificates.ts';
import type { IotRegistry } from './registry/iot-registry.ts';

export interface ProvisionOptions {
  readonly thingName: string;
  /** Attached to the certificate; created with the recert device policy when it is that one and missing. */
  readonly policyName?: string;
  /** Validity of the certificate, e.g. `{ durationMs: 10 * DAY }` for a fleet that must rotate soon. */
  readonly validity?: IssuedValidity;
  /** EC P-256 by default: RSA key generation is far too slow for thousands of devices. */
  readonly keyKind?: KeyKind;
  readonly attributes?: Record<string, string>;
}

export interface ProvisionedDevice {
  readonly thingName: string;
  readonly thingArn: string;
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly notAfter: number;
}

export async function provisionDevice(
  registry: IotRegistry,
  options: ProvisionOptions,
): Promise<ProvisionedDevice> {
  const policyName = options.policyName ?? DEVICE_POLICY_NAME;
  if (policyName === DEVICE_POLICY_NAME && registry.policies.find(policyName) === undefined) {
    const { region, accountId } = registry.partition;
    registry.policies.create(policyName, JSON.stringify(devicePolicyDocument('aws', region, accountId)));
  }
  // Checked first so a missing policy leaves no orphan certificate behind.
  registry.policies.get(policyName);
  const thing = registry.things.create(options.thingName, options.attributes ?? {});
  const { record, keys } = await registry.certificates.createKeysAndCertificate({
    setAsActive: true,
    keyKind: options.keyKind ?? 'ec-p256',
    ...(options.validity === undefined ? {} : { validity: options.validity }),
  });
  registry.policies.attach(policyName, record.certificateArn);
  registry.principals.attach(thing.thingName, record.certificateArn);
  return {
    thingName: thing.thingName,
    thingArn: thing.thingArn,
    certificateId: record.certificateId,
    certificateArn: record.certificateArn,
    certificatePem: record.certificatePem,
    privateKeyPem: keys.privateKeyPem,
    notAfter: record.notAfter,
  };
}
