import type { LocalEndpoints } from '../../local/stack/types.ts';

/** Every HTTP endpoint of a local stack at one URL (a stand-in server), for tests of its clients. */
export function endpointsAt(url: string): LocalEndpoints {
  return {
    dynamodb: url,
    iot: url,
    iotData: url,
    stepFunctions: url,
    sns: url,
    eventBridge: url,
    mqtt: { host: '127.0.0.1', port: 1 },
    rootCaPath: '/nonexistent',
  };
}
