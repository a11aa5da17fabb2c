import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cliClientConfig } from '../../lib/aws/client-config.ts';
import type { Target, TargetResources } from './target.ts';
import { executionConsoleLink } from './target.ts';

export interface ClientSettings {
  readonly region: string;
  /** Service endpoints for the local AWS; the SDK's defaults on AWS. */
  readonly endpoints?: { readonly stepFunctions: string; readonly iot: string; readonly dynamodb: string };
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The same clients for both targets: only `endpoint` and credentials differ. */
export function createTarget(
  kind: Target['kind'],
  resources: TargetResources,
  settings: ClientSettings,
): Target {
  // Nothing retries for an operator: throttles are retried here, with backoff and full jitter, on both
  // targets (the local AWS can enforce AWS's quotas). Each client gets its own strategy, so its own
  // SDK retry quota. A local AWS that is down is caught before this by the target's probe.
  const base = () => ({
    ...cliClientConfig(),
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
  const sfn = new SFNClient({
    ...base(),
    ...(settings.endpoints ? { endpoint: settings.endpoints.stepFunctions } : {}),
  });
  const iot = new IoTClient({
    ...base(),
    ...(settings.endpoints ? { endpoint: settings.endpoints.iot } : {}),
  });
  const dynamodb = new DynamoDBClient({
    ...base(),
    cacheMiddleware: false,
    ...(settings.endpoints ? { endpoint: settings.endpoints.dynamodb } : {}),
  });
  const db = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return {
    kind,
    resources,
    sfn,
    iot,
    dynamodb,
    db,
    consoleLink: (arn) => (kind === 'aws' ? executionConsoleLink(resources.region, arn) : undefined),
    close: () => {
      sfn.destroy();
      iot.destroy();
      db.destroy();
      dynamodb.destroy();
    },
  };
}
