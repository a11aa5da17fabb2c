import type { KeyType } from '../agent/crypto.ts';

/**
 * How the fleet simulator gets devices: the main job implements this over the local IoT Core
 * (CreateThing, a certificate with the chosen validity, AttachPolicy, AttachThingPrincipal); the
 * device tests implement it over their own test CA.
 */
export interface ProvisionRequest {
  readonly thingName: string;
  /** Validity of the device's first certificate: e.g. expiring within 30 days, so the audit finds it. */
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType?: KeyType;
}

export interface ProvisionedDevice {
  readonly thingName: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The certificate id as IoT Core names it (SHA-256 of the DER, hex). */
  readonly certificateId: string;
}

export interface FleetProvisioner {
  /** Creates the thing and an ACTIVE certificate with the device policy attached. */
  provision(request: ProvisionRequest): Promise<ProvisionedDevice>;
}
