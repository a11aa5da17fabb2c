/**
 * What a state machine calls, read from its definition, so its role grants exactly those integrations; one
 * without a grant stops the stack's build and the local AWS's start.
 */

export class UnsupportedIntegrationError extends Error {
  constructor(resource: string) {
    super(
      `the state machine uses ${resource}, which recert's deployment grants nothing for; ` +
        'add its permissions to workflows/access/state-machine-policies.ts',
    );
    this.name = 'UnsupportedIntegrationError';
  }
}

export class DefinitionShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionShapeError';
  }
}

export interface Integrations {
  /** `${...}` placeholders (or literal ARNs) given as FunctionName to lambda:invoke tasks. */
  readonly lambdaFunctions: readonly string[];
  /** DynamoDB API actions (e.g. `dynamodb:UpdateItem`) of optimised integrations. */
  readonly dynamoDbActions: readonly string[];
  /** The TableName (`${...}` placeholders or literal names) of those integrations. */
  readonly dynamoDbTables: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const DYNAMODB = /^arn:aws[a-z-]*:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/;

function collectStates(states: unknown, into: Record<string, unknown>[]): void {
  if (!isRecord(states)) throw new DefinitionShapeError('a States field is not an object');
  for (const state of Object.values(states)) {
    if (!isRecord(state)) throw new DefinitionShapeError('a state is not an object');
    into.push(state);
    const branches = state.Branches;
    if (Array.isArray(branches)) {
      for (const branch of branches) if (isRecord(branch)) collectStates(branch.States, into);
    }
    for (const key of ['ItemProcessor', 'Iterator']) {
      const nested = state[key];
      if (isRecord(nested)) collectStates(nested.States, into);
    }
  }
}

/** A task's arguments: JSONata `Arguments` or JSONPath `Parameters`. */
function argumentsOf(state: Record<string, unknown>): Record<string, unknown> {
  if (isRecord(state.Arguments)) return state.Arguments;
  return isRecord(state.Parameters) ? state.Parameters : {};
}

/** The integrations of every Task state of a (parsed) definition, nested states included. */
export function integrationsOf(definition: unknown): Integrations {
  if (!isRecord(definition)) throw new DefinitionShapeError('the definition is not a JSON object');
  const states: Record<string, unknown>[] = [];
  collectStates(definition.States, states);
  const functions = new Set<string>();
  const dynamo = new Set<string>();
  const tables = new Set<string>();
  for (const state of states) {
    if (state.Type !== 'Task') continue;
    const resource = state.Resource;
    if (typeof resource !== 'string') throw new DefinitionShapeError('a Task state has no Resource string');
    if (LAMBDA_INVOKE.test(resource)) {
      const args = argumentsOf(state);
      const name = args.FunctionName ?? args['FunctionName.$'];
      if (typeof name !== 'string')
        throw new DefinitionShapeError('a lambda:invoke task has no FunctionName');
      functions.add(name);
      continue;
    }
    const dynamoMatch = DYNAMODB.exec(resource);
    if (dynamoMatch?.[1]) {
      const api = dynamoMatch[1];
      dynamo.add(`dynamodb:${api.charAt(0).toUpperCase()}${api.slice(1)}`);
      const table = argumentsOf(state).TableName;
      if (typeof table !== 'string') throw new DefinitionShapeError('a DynamoDB task has no TableName');
      tables.add(table);
      continue;
    }
    throw new UnsupportedIntegrationError(resource);
  }
  return {
    lambdaFunctions: [...functions].sort(),
    dynamoDbActions: [...dynamo].sort(),
    dynamoDbTables: [...tables].sort(),
  };
}
