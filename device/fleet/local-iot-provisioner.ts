import type { LocalIotCore } from '../../local/index.ts';
import type { FleetProvisioner, ProvisionedDevice, ProvisionRequest } from './provisioner.ts';

/**
 * Provisions simulated devices in the local IoT Core: thing, EC P-256 keys, an ACTIVE certificate
 * valid until the requested `notAfter` (issued now, on the core's clock), the recert device policy
 * and the thing attachment. RSA keys are offered only as 2048 bits, the one size the core generates.
 */
export class LocalIotProvisioner implements FleetProvisioner {
  constructor(private readonly core: Pick<LocalIotCore, 'provisionDevice'>) {}

  async provision(request: ProvisionRequest): Promise<ProvisionedDevice> {
    const device = await this.core.provisionDevice({
      thingName: request.thingName,
      validity: { notAfter: request.notAfter.getTime() },
      keyKind: request.keyType === 'rsa-2048' ? 'rsa-2048' : 'ec-p256',
    });
    return {
      thingName: device.thingName,
      certificatePem: device.certificatePem,
      privateKeyPem: device.privateKeyPem,
      certificateId: device.certificateId,
    };
  }
}
