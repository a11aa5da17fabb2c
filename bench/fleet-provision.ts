import type { LocalAws } from '../local/stack/local-aws.ts';
import type { HandedOverDevice } from './fleet-messages.ts';

const DAY = 86_400_000;

/**
 * Registers `size` things named `<prefix>-<index>`, each with an EC P-256 certificate expiring in 10
 * days (inside the audit's 30-day threshold), and returns what the fleet process needs to run them.
 */
export async function provisionBenchDevices(
  local: LocalAws,
  size: number,
  prefix: string,
): Promise<HandedOverDevice[]> {
  const width = String(size - 1).length;
  const notAfter = local.clock.now() + 10 * DAY;
  const devices: HandedOverDevice[] = [];
  let next = 0;
  // The core makes keys and signs certificates: a few at a time keeps the event loop responsive.
  const workers = Array.from({ length: 8 }, async () => {
    for (let index = next++; index < size; index = next++) {
      const device = await local.iot.provisionDevice({
        thingName: `${prefix}-${String(index).padStart(width, '0')}`,
        validity: { notAfter },
        keyKind: 'ec-p256',
      });
      devices.push({
        thingName: device.thingName,
        certificateId: device.certificateId,
        certificatePem: device.certificatePem,
        privateKeyPem: device.privateKeyPem,
      });
    }
  });
  await Promise.all(workers);
  return devices;
}
