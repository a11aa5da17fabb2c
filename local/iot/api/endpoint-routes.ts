/** DescribeEndpoint: where devices (MQTT) and the data plane are reached locally. */
import { InvalidRequestException } from '../errors.ts';
import { type RestRoute, route } from '../interfaces.ts';
import { ok, queryString } from './request.ts';

const ENDPOINT_TYPES = new Set(['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs']);

/** `address()` gives `host:port`; AWS gives a host name only, but locally the ports are not fixed. */
export function endpointRoutes(address: (endpointType: string) => string): RestRoute[] {
  return [
    route('DescribeEndpoint', 'GET', '/endpoint', (request) => {
      const endpointType = queryString(request, 'endpointType') ?? 'iot:Data';
      if (!ENDPOINT_TYPES.has(endpointType)) {
        throw new InvalidRequestException(`endpointType must be one of ${[...ENDPOINT_TYPES].join(', ')}`);
      }
      return ok({ endpointAddress: address(endpointType) });
    }),
  ];
}
