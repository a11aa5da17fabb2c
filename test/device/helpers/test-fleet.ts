import { type FleetOptions, FleetSimulator } from '../../../device/fleet/fleet-simulator.ts';
import type { TestBroker } from './test-broker.ts';
import { TestProvisioner } from './test-provisioner.ts';

/** A fleet simulator whose devices connect to the test broker, provisioned by it unless `options` names a provisioner. */
export function fleetOnTestBroker(
  broker: TestBroker,
  options: Omit<FleetOptions, 'endpoint' | 'serverCaPem' | 'provisioner'> &
    Partial<Pick<FleetOptions, 'provisioner'>>,
): FleetSimulator {
  return new FleetSimulator({
    endpoint: { host: '127.0.0.1', port: broker.port },
    serverCaPem: broker.pki.caCertificatePem,
    provisioner: new TestProvisioner(broker),
    ...options,
  });
}
