/** Thing principals over restJson1; the principal travels in the `x-amzn-principal` header. */
import type { RestRoute } from '../interfaces.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';
import { label, ok, pageOf, requiredHeader } from './request.ts';

const PRINCIPAL_HEADER = 'x-amzn-principal';

export function principalRoutes(registry: IotRegistry): RestRoute[] {
  const principals = registry.principals;
  return [
    {
      operation: 'AttachThingPrincipal',
      method: 'PUT',
      path: '/things/{thingName}/principals',
      handle(request) {
        principals.attach(label(request, 'thingName'), requiredHeader(request, PRINCIPAL_HEADER));
        return ok({});
      },
    },
    {
      operation: 'DetachThingPrincipal',
      method: 'DELETE',
      path: '/things/{thingName}/principals',
      handle(request) {
        principals.detach(label(request, 'thingName'), requiredHeader(request, PRINCIPAL_HEADER));
        return ok({});
      },
    },
    {
      operation: 'ListThingPrincipals',
      method: 'GET',
      path: '/things/{thingName}/principals',
      handle(request) {
        const page = principals.principalsOf(label(request, 'thingName'), ...pageOf(request, 'nextToken'));
        return ok({ principals: page.items, nextToken: page.next });
      },
    },
    {
      operation: 'ListPrincipalThings',
      method: 'GET',
      path: '/principals/things',
      handle(request) {
        const principal = requiredHeader(request, PRINCIPAL_HEADER);
        const page = principals.thingsOf(principal, ...pageOf(request, 'nextToken'));
        return ok({ things: page.items, nextToken: page.next });
      },
    },
  ];
}
