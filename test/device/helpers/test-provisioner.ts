import type {
  FleetProvisioner,
  ProvisionedDevice,
  ProvisionRequest,
} from '../../../device/fleet/provisioner.ts';
import type { TestBroker } from './test-broker.ts';

/** Provisions simulated devices on the test broker: a certificate from its CA, registered as active. */
export class TestProvisioner implements FleetProvisioner {
  readonly provisioned: ProvisionRequest[] = [];

  constructor(private readonly broker: TestBroker) {}

  async provision(request: ProvisionRequest): Promise<ProvisionedDevice> {
    this.provisioned.push(request);
    const pair = await this.broker.pki.issueDevice(request.thingName, {
      notBefore: request.notBefore,
      notAfter: request.notAfter,
    });
    this.broker.allow(pair.certificateId);
    return { thingName: request.thingName, ...pair };
  }
}
