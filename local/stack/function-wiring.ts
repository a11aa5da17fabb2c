import {
  type CampaignFunctionsDeps,
  createCampaignFunctions,
  createRotationFunctions,
  type RotationFunctionsDeps,
} from '../../functions/index.ts';
import { CAMPAIGN_FUNCTIONS, type CampaignFunctionId } from '../../workflows/campaign/functions.ts';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';

/** The functions' names in the local Lambda service, as the CDK stack names them. */
export const functionName = (id: FunctionId | CampaignFunctionId): string => `recert-${id}`;

/** What the local stack's functions need: the rotation functions' and the campaign functions'. */
export type LocalFunctionsDeps = RotationFunctionsDeps &
  Pick<CampaignFunctionsDeps, 'campaignTableName' | 'pacerTickSeconds' | 'pacerPollMs'>;

/** Every function of both contracts: each runs with a role of its own. */
export type FunctionIdentity = FunctionId | CampaignFunctionId;

export type LocalFunctionArns = Record<FunctionIdentity, string>;

/**
 * Registers every function of both contracts with its timeout: the code Lambda runs, built from what its
 * environment would say on AWS, with that function's own clients (`depsOf(id)`).
 */
export function registerFunctions(
  registry: FunctionRegistry,
  depsOf: (id: FunctionIdentity) => LocalFunctionsDeps,
): LocalFunctionArns {
  const arns = {} as LocalFunctionArns;
  for (const spec of Object.values(FUNCTIONS)) {
    const deps = quietMetrics(depsOf(spec.id));
    const handler = createRotationFunctions(deps)[spec.id];
    arns[spec.id] = registry.register(functionName(spec.id), handler, spec.timeoutSeconds).arn;
  }
  for (const spec of Object.values(CAMPAIGN_FUNCTIONS)) {
    const deps = quietMetrics(depsOf(spec.id));
    const handler = createCampaignFunctions(deps)[spec.id];
    arns[spec.id] = registry.register(functionName(spec.id), handler, spec.timeoutSeconds).arn;
  }
  return arns;
}

/**
 * Powertools writes metrics (EMF) straight to stdout, where Lambda ships them to CloudWatch; in this
 * process they would drown the user's terminal. Metrics stay off unless the functions' logs are on.
 */
function quietMetrics(deps: LocalFunctionsDeps): LocalFunctionsDeps {
  if (deps.logLevel === 'SILENT') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  return deps;
}
