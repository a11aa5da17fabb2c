import { CAMPAIGN_FUNCTION_IDS, CAMPAIGN_FUNCTIONS, type CampaignFunctionId } from '../campaign/functions.ts';
import type { IssuerKind } from '../rotate-device/api-calls.ts';
import {
  FUNCTION_IDS,
  FUNCTIONS,
  type FunctionId,
  type FunctionSpec,
  type Grant,
} from '../rotate-device/functions.ts';

/** Every function recert deploys: the rotation workflow's and the campaign workflow's. */
export type DeployedFunctionId = FunctionId | CampaignFunctionId;
export const DEPLOYED_FUNCTION_IDS: readonly DeployedFunctionId[] = [
  ...FUNCTION_IDS,
  ...CAMPAIGN_FUNCTION_IDS,
];

const isCampaignFunction = (id: DeployedFunctionId): id is CampaignFunctionId =>
  (CAMPAIGN_FUNCTION_IDS as readonly string[]).includes(id);

/** The contract spec of a deployed function, from whichever workflow it belongs to. */
export function functionSpec(id: DeployedFunctionId): FunctionSpec<DeployedFunctionId> {
  return isCampaignFunction(id) ? CAMPAIGN_FUNCTIONS[id] : FUNCTIONS[id];
}

/**
 * Everyone who calls AWS in a recert deployment, each with a role of its own, except `operator`, a
 * managed policy for the people who run the CLI (workflows/access/README.md).
 */
export type IdentityId =
  | `function:${DeployedFunctionId}`
  | 'state-machine:rotate-device'
  | 'state-machine:campaign'
  | 'topic-rules:error-action'
  | 'device-defender:audit'
  | 'device-defender:notifications'
  | 'operator';

export const functionIdentity = (id: DeployedFunctionId): IdentityId => `function:${id}`;

export const IDENTITY_IDS: readonly IdentityId[] = [
  ...DEPLOYED_FUNCTION_IDS.map(functionIdentity),
  'state-machine:rotate-device',
  'state-machine:campaign',
  'topic-rules:error-action',
  'device-defender:audit',
  'device-defender:notifications',
  'operator',
];

/** The function an identity is the role of, or undefined for the other identities. */
export function functionOfIdentity(id: IdentityId): DeployedFunctionId | undefined {
  if (!id.startsWith('function:')) return undefined;
  const fid = id.slice('function:'.length);
  return DEPLOYED_FUNCTION_IDS.find((known) => known === fid);
}

/** A function's grants for a deployment with this issuer: its permissions, then its issuer's. */
export function functionGrants(id: DeployedFunctionId, issuer: IssuerKind): readonly Grant[] {
  const spec = functionSpec(id);
  return [...spec.permissions, ...(spec.issuerPermissions?.[issuer] ?? [])];
}
