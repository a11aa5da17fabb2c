import {
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  paginateListThings,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { useStarted } from '../started.ts';
import { startCore } from './helpers/core.ts';

describe('things through the IoT SDK', () => {
  const t = useStarted(() => startCore());

  it('creates, describes and deletes a thing; deleting twice succeeds as on AWS', async () => {
    // Prepare / Act
    const created = await t.iot.send(
      new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { site: 'lyon' } } }),
    );
    const described = await t.iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }));
    await t.iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }));
    await t.iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }));

    // Assess
    expect(created.thingArn).toBe('arn:aws:iot:us-east-1:000000000000:thing/sensor-1');
    expect(described).toMatchObject({
      thingName: 'sensor-1',
      thingId: created.thingId,
      defaultClientId: 'sensor-1',
      attributes: { site: 'lyon' },
      version: 1,
    });
    await expect(t.iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('returns the existing thing for an identical create and refuses a conflicting one', async () => {
    // Prepare
    const first = await t.iot.send(new CreateThingCommand({ thingName: 'a' }));

    // Act
    const again = await t.iot.send(new CreateThingCommand({ thingName: 'a' }));
    const conflict = t.iot.send(
      new CreateThingCommand({ thingName: 'a', attributePayload: { attributes: { x: '1' } } }),
    );

    // Assess
    expect(again.thingId).toBe(first.thingId);
    await expect(conflict).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(conflict).rejects.toMatchObject({ resourceId: first.thingId, resourceArn: first.thingArn });
  });

  it('pages through every thing exactly once and filters by attribute', async () => {
    // Prepare
    for (let i = 0; i < 23; i++) {
      await t.iot.send(
        new CreateThingCommand({
          thingName: `dev-${String(i).padStart(2, '0')}`,
          attributePayload: { attributes: { batch: i % 2 === 0 ? 'even' : 'odd' } },
        }),
      );
    }

    // Act
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListThings({ client: t.iot, pageSize: 5 }, {})) {
      pages++;
      names.push(...(page.things ?? []).map((thing) => thing.thingName ?? ''));
    }
    const even: string[] = [];
    for await (const page of paginateListThings(
      { client: t.iot, pageSize: 4 },
      { attributeName: 'batch', attributeValue: 'even' },
    )) {
      even.push(...(page.things ?? []).map((thing) => thing.thingName ?? ''));
    }

    // Assess
    expect(pages).toBe(5);
    expect(names).toEqual(Array.from({ length: 23 }, (_, i) => `dev-${String(i).padStart(2, '0')}`));
    expect(even).toHaveLength(12);
  });

  it('rejects an invalid thing name with InvalidRequestException', async () => {
    // Act / Assess
    await expect(t.iot.send(new CreateThingCommand({ thingName: 'bad name!' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
  });
});
