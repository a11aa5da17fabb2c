/** CreateThing, DescribeThing, ListThings, DeleteThing over restJson1. */
import { z } from 'zod';
import { InvalidRequestException } from '../errors.ts';
import { type RestRoute, route } from '../interfaces.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';
import { pageSize } from '../registry/pagination.ts';
import { label, ok, optional, queryBoolean, queryString } from './request.ts';

const createThingBody = z
  .object({
    thingTypeName: z.string().min(1).max(128).optional(),
    attributePayload: z
      .object({
        attributes: z.record(z.string(), z.string().max(800)).optional(),
        merge: z.boolean().optional(),
      })
      .optional(),
    billingGroupName: z.string().optional(),
  })
  .optional();

export function thingRoutes(registry: IotRegistry): RestRoute[] {
  return [
    route('CreateThing', 'POST', '/things/{thingName}', (request) => {
      const body = createThingBody.parse(request.body);
      const attributes = body?.attributePayload?.attributes ?? {};
      if (Object.keys(attributes).length > 50)
        throw new InvalidRequestException('a thing has at most 50 attributes');
      const thing = registry.things.create(label(request, 'thingName'), attributes, body?.thingTypeName);
      return ok({ thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId });
    }),
    route('DescribeThing', 'GET', '/things/{thingName}', (request) => {
      const thing = registry.things.describe(label(request, 'thingName'));
      return ok({
        defaultClientId: thing.thingName,
        thingName: thing.thingName,
        thingId: thing.thingId,
        thingArn: thing.thingArn,
        thingTypeName: thing.thingTypeName,
        attributes: thing.attributes,
        version: thing.version,
      });
    }),
    route('ListThings', 'GET', '/things', (request) => {
      const page = registry.things.list({
        maxResults: pageSize(request.query.get('maxResults'), 'maxResults', 50),
        ...optional('nextToken', queryString(request, 'nextToken')),
        ...optional('attributeName', queryString(request, 'attributeName')),
        ...optional('attributeValue', queryString(request, 'attributeValue')),
        ...optional('thingTypeName', queryString(request, 'thingTypeName')),
        ...optional('usePrefixAttributeValue', queryBoolean(request, 'usePrefixAttributeValue')),
      });
      return ok({
        things: page.items.map((t) => ({
          thingName: t.thingName,
          thingTypeName: t.thingTypeName,
          thingArn: t.thingArn,
          attributes: t.attributes,
          version: t.version,
        })),
        nextToken: page.next,
      });
    }),
    route('DeleteThing', 'DELETE', '/things/{thingName}', (request) => {
      const raw = queryString(request, 'expectedVersion');
      const expected = raw === undefined ? undefined : Number(raw);
      if (expected !== undefined && !Number.isInteger(expected)) {
        throw new InvalidRequestException(`expectedVersion must be an integer, got '${raw}'`);
      }
      registry.things.delete(label(request, 'thingName'), expected);
      return ok({});
    }),
  ];
}
