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

export type LocalFunctionArns = Record<FunctionId | CampaignFunctionId, string>;

/**
 * Registers every function of both contracts under its name, with its timeout: the same handler code
 * that Lambda runs, built with local clients and what its environment variables would say on AWS.
 */
export function registerFunctions(registry: FunctionRegistry, deps: LocalFunctionsDeps): LocalFunctionArns {
  // Powertools writes metrics (EMF) straight to stdout, where Lambda ships them to CloudWatch; in this
  // process they would drown the user's terminal. Metrics stay off unless the functions' logs are on.
  if (deps.logLevel === 'SILENT') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const rotation = createRotationFunctions(deps);
  const campaign = createCampaignFunctions(deps);
  const arns = {} as LocalFunctionArns;
  for (const spec of Object.values(FUNCTIONS)) {
    arns[spec.id] = registry.register(functionName(spec.id), rotation[spec.id], spec.timeoutSeconds).arn;
  }
  for (const spec of Object.values(CAMPAIGN_FUNCTIONS)) {
    arns[spec.id] = registry.register(functionName(spec.id), campaign[spec.id], spec.timeoutSeconds).arn;
  }
  return arns;
}
