import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
  const base = {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Commands are interactive: fail within seconds instead of retrying for a long time.
    maxAttempts: kind === 'local' ? 2 : 4,
  };
  const sfn = new SFNClient({
    ...base,
    ...(settings.endpoints ? { endpoint: settings.endpoints.stepFunctions } : {}),
  });
  const iot = new IoTClient({ ...base, ...(settings.endpoints ? { endpoint: settings.endpoints.iot } : {}) });
  const dynamodb = new DynamoDBClient({
    ...base,
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
