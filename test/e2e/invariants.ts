import {
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';

/**
 * The fleet-wide safety invariants, checked from both sides (the registry and the devices):
 * each device's thing holds exactly one ACTIVE certificate, it is the one the device uses, and the
 * device has its key; and no ACTIVE certificate exists that no device uses (one a rotation issued
 * and left behind). Returns the violations, one line each; [] when the fleet is sound.
 */
export async function fleetInvariantViolations(local: LocalAws, fleet: FleetSimulator): Promise<string[]> {
  const violations: string[] = [];
  const inUse = new Set<string>();
  for (const device of fleet.devices()) {
    const { thingName } = device;
    const { principals } = await local.clients.iot.send(new ListThingPrincipalsCommand({ thingName }));
    const attached = (principals ?? []).map((arn) => arn.slice(arn.lastIndexOf('/') + 1));
    const active: string[] = [];
    for (const certificateId of attached) {
      const { certificateDescription } = await local.clients.iot.send(
        new DescribeCertificateCommand({ certificateId }),
      );
      if (certificateDescription?.status === 'ACTIVE') active.push(certificateId);
    }
    const current = device.state().certificateId;
    inUse.add(current);
    if (active.length !== 1) violations.push(`${thingName}: ${active.length} ACTIVE certificates attached`);
    else if (active[0] !== current)
      violations.push(`${thingName}: uses ${current}, not its ACTIVE certificate`);
    if (!(await device.holdsWorkingCredentials())) violations.push(`${thingName}: its key does not match`);
  }
  let marker: string | undefined;
  do {
    const page = await local.clients.iot.send(
      new ListCertificatesCommand({ pageSize: 250, ...(marker ? { marker } : {}) }),
    );
    for (const certificate of page.certificates ?? []) {
      const id = certificate.certificateId ?? '';
      if (certificate.status === 'ACTIVE' && !inUse.has(id)) {
        violations.push(`certificate ${id} is ACTIVE but no device uses it`);
      }
    }
    marker = page.nextMarker;
  } while (marker);
  return violations;
}
