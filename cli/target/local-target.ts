import { LOCAL_CREDENTIALS } from '../../local/index.ts';
import { TargetUnavailableError } from '../errors.ts';
import { createTarget } from './clients.ts';
import { manifestPath, readLiveManifest, START_HINT } from './manifest.ts';
import { probeUrl } from './probe.ts';
import type { Target } from './target.ts';

/**
 * The local AWS running from `stateDir`: its manifest must exist, its process be alive and its
 * Step Functions endpoint accept connections, so a stale manifest gives a clear error instead of
 * a connection failure deep inside a command.
 */
export async function localTarget(stateDir: string): Promise<Target> {
  const manifest = await readLiveManifest(stateDir);
  const { endpoints, resources } = manifest;
  for (const [service, url] of [
    ['Step Functions', endpoints.stepFunctions],
    ['DynamoDB', endpoints.dynamodb],
    ['IoT', endpoints.iot],
  ] as const) {
    if (!(await probeUrl(url))) {
      throw new TargetUnavailableError(
        `the local AWS is not answering: ${service} at ${url} (from ${manifestPath(stateDir)}) refuses connections`,
        { hint: START_HINT },
      );
    }
  }
  return createTarget(
    'local',
    {
      region: resources.region,
      stateMachineArn: resources.stateMachineArn,
      rotationTableName: resources.rotationTableName,
      escalationTopicArn: resources.escalationTopicArn,
      auditTopicArn: resources.auditTopicArn,
      ...(resources.campaignTableName ? { campaignTableName: resources.campaignTableName } : {}),
      ...(resources.campaignStateMachineArn
        ? { campaignStateMachineArn: resources.campaignStateMachineArn }
        : {}),
    },
    {
      region: resources.region,
      endpoints: { stepFunctions: endpoints.stepFunctions, iot: endpoints.iot, dynamodb: endpoints.dynamodb },
      // The operator's role, held to the policy the CDK stack deploys for the people who run recert.
      credentials: manifest.operatorCredentials ?? LOCAL_CREDENTIALS,
    },
  );
}
