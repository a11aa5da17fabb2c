import { createRotationFunctions, type RotationFunctionsDeps } from '../../functions/index.ts';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';

/** The functions' names in the local Lambda service, as the CDK stack names them. */
export const functionName = (id: FunctionId): string => `recert-${id}`;

/**
 * Registers every function of the contract under its name, with its timeout: the same handler code
 * that Lambda runs, built with local clients and what its environment variables would say on AWS.
 */
export function registerFunctions(
  registry: FunctionRegistry,
  deps: RotationFunctionsDeps,
): Record<FunctionId, string> {
  // Powertools writes metrics (EMF) straight to stdout, where Lambda ships them to CloudWatch; in this
  // process they would drown the user's terminal. Metrics stay off unless the functions' logs are on.
  if (deps.logLevel === 'SILENT') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const handlers = createRotationFunctions(deps);
  const arns = {} as Record<FunctionId, string>;
  for (const spec of Object.values(FUNCTIONS)) {
    arns[spec.id] = registry.register(functionName(spec.id), handlers[spec.id], spec.timeoutSeconds).arn;
  }
  return arns;
}
