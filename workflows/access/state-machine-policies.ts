import { CAMPAIGN_PLACEHOLDERS } from '../campaign/placeholders.ts';
import { bakeCampaignSettings, readCampaignDefinitionTemplate } from '../campaign/render.ts';
import { PLACEHOLDERS } from '../rotate-device/placeholders.ts';
import { bakeSettings, readDefinitionTemplate } from '../rotate-device/render.ts';
import { type Integrations, integrationsOf, UnsupportedIntegrationError } from './asl-integrations.ts';
import type { DeployedFunctionId } from './identities.ts';
import type { PolicyStatement } from './policy.ts';
import type { ResourceArns } from './resource-arns.ts';

export type StateMachineId = 'rotate-device' | 'campaign';

export class UnboundIntegrationError extends Error {
  constructor(stateMachine: StateMachineId, reference: string) {
    super(
      `the ${stateMachine} definition calls ${reference}, which no placeholder binding of its contract names`,
    );
    this.name = 'UnboundIntegrationError';
  }
}

/** What a `${Name}` placeholder of a definition stands for, for its integrations. */
type Binding = { kind: 'function'; functionId: DeployedFunctionId } | { kind: 'table' } | { kind: 'other' };

const BINDINGS: Readonly<Record<StateMachineId, (name: string) => Binding | undefined>> = {
  'rotate-device': (name) => {
    const binding = PLACEHOLDERS[name];
    return binding === undefined || binding.kind === 'function' || binding.kind === 'table'
      ? binding
      : { kind: 'other' };
  },
  campaign: (name) => {
    const binding = CAMPAIGN_PLACEHOLDERS[name];
    return binding === undefined || binding.kind === 'function' ? binding : { kind: 'other' };
  },
};

// Settings change numbers in the definition, never which services it calls: the defaults will do.
const DEFINITIONS: Readonly<Record<StateMachineId, () => string>> = {
  'rotate-device': () => bakeSettings(readDefinitionTemplate()),
  campaign: () => bakeCampaignSettings(readCampaignDefinitionTemplate()),
};

const cache = new Map<StateMachineId, Integrations>();

/** The service integrations of a state machine's definition file (read once). */
export function stateMachineIntegrations(id: StateMachineId): Integrations {
  let integrations = cache.get(id);
  if (integrations === undefined) {
    integrations = integrationsOf(JSON.parse(DEFINITIONS[id]()));
    cache.set(id, integrations);
  }
  return integrations;
}

function bindingOf(id: StateMachineId, reference: string): Binding {
  const name = /^\$\{([A-Za-z0-9_]+)\}$/.exec(reference)?.[1];
  const binding = name === undefined ? undefined : BINDINGS[id](name);
  if (binding === undefined) throw new UnboundIntegrationError(id, reference);
  return binding;
}

/**
 * Exactly what the definition calls: InvokeFunction on its lambda:invoke tasks' functions (unqualified)
 * and its optimised integrations' DynamoDB actions on the rotation table.
 */
export function stateMachineStatements(id: StateMachineId, arns: ResourceArns): PolicyStatement[] {
  const integrations = stateMachineIntegrations(id);
  const statements: PolicyStatement[] = [];
  const functionArns = integrations.lambdaFunctions.map((reference) => {
    const binding = bindingOf(id, reference);
    if (binding.kind !== 'function') throw new UnboundIntegrationError(id, reference);
    return arns.functionArns[binding.functionId];
  });
  if (functionArns.length > 0) {
    statements.push({ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: functionArns });
  }
  if (integrations.dynamoDbActions.length > 0) {
    for (const table of integrations.dynamoDbTables) {
      if (bindingOf(id, table).kind !== 'table') {
        throw new UnsupportedIntegrationError(`${integrations.dynamoDbActions.join(', ')} on ${table}`);
      }
    }
    statements.push({
      Effect: 'Allow',
      Action: [...integrations.dynamoDbActions],
      Resource: [arns.rotationTableArn],
    });
  }
  return statements;
}
