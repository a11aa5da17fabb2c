/** Thing principals over restJson1; the principal travels in the `x-amzn-principal` header. */
import { type RestRoute, route } from '../interfaces.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';
import { label, ok, pageOf, requiredHeader } from './request.ts';

const PRINCIPAL_HEADER = 'x-amzn-principal';

export function principalRoutes(registry: IotRegistry): RestRoute[] {
  const principals = registry.principals;
  return [
    route('AttachThingPrincipal', 'PUT', '/things/{thingName}/principals', (request) => {
      principals.attach(label(request, 'thingName'), requiredHeader(request, PRINCIPAL_HEADER));
      return ok({});
    }),
    route('DetachThingPrincipal', 'DELETE', '/things/{thingName}/principals', (request) => {
      principals.detach(label(request, 'thingName'), requiredHeader(request, PRINCIPAL_HEADER));
      return ok({});
    }),
    route('ListThingPrincipals', 'GET', '/things/{thingName}/principals', (request) => {
      const page = principals.principalsOf(label(request, 'thingName'), ...pageOf(request, 'nextToken'));
      return ok({ principals: page.items, nextToken: page.next });
    }),
    route('ListPrincipalThings', 'GET', '/principals/things', (request) => {
      const principal = requiredHeader(request, PRINCIPAL_HEADER);
      const page = principals.thingsOf(principal, ...pageOf(request, 'nextToken'));
      return ok({ things: page.items, nextToken: page.next });
    }),
  ];
}
