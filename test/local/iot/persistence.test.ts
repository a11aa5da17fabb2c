import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateThingCommand,
  DescribeCertificateCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { startCore, useCores } from './helpers/core.ts';
import { connectDevice, end } from './helpers/mqtt.ts';

const restartCore = useCores();

describe('IoT Core state across restarts', () => {
  it('keeps things, certificates, attachments and the CAs, and the same device still connects', async () => {
    // Prepare
    const first = await startCore();
    const device = await first.core.provisionDevice({ thingName: 'persisted' });
    await first.iot.send(
      new CreateThingCommand({ thingName: 'plain', attributePayload: { attributes: { k: 'v' } } }),
    );
    const rootCa = readFileSync(first.core.rootCaPath, 'utf8');
    await first.close(true);

    // Act
    const t = await restartCore({ stateDir: first.stateDir, clock: first.clock });
    const things = await t.iot.send(new ListThingsCommand({}));
    const principals = await t.iot.send(new ListThingPrincipalsCommand({ thingName: 'persisted' }));
    const cert = await t.iot.send(new DescribeCertificateCommand({ certificateId: device.certificateId }));
    const client = await connectDevice(t.core, device, { clientId: 'persisted' });
    await end(client);

    // Assess
    expect(things.things?.map((x) => [x.thingName, x.attributes])).toEqual([
      ['persisted', {}],
      ['plain', { k: 'v' }],
    ]);
    expect(principals.principals).toEqual([device.certificateArn]);
    expect(cert.certificateDescription?.status).toBe('ACTIVE');
    expect(readFileSync(t.core.rootCaPath, 'utf8')).toBe(rootCa);
  });

  it('ignores a change line torn by a crash and keeps every complete one', async () => {
    // Prepare
    const first = await startCore();
    await first.iot.send(new CreateThingCommand({ thingName: 'complete' }));
    await first.close(true);
    appendFileSync(
      join(first.stateDir, 'iot', 'registry', 'changes.log'),
      '{"t":"things","k":"torn","v":{"thingNa',
    );

    // Act
    const t = await restartCore({ stateDir: first.stateDir, clock: first.clock });
    const things = await t.iot.send(new ListThingsCommand({}));

    // Assess
    expect(things.things?.map((x) => x.thingName)).toEqual(['complete']);
  });
});
