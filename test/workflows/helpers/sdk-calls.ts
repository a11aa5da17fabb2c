import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The AWS SDK commands code can send, found by reading it: every `new <Name>Command(` of a command
 * imported from an `@aws-sdk/*` client, and every `paginate<Name>(` of its paginators, as the IAM
 * action it needs, in the modules an entry file
 * reaches through its relative imports. A module reached is not proof that a command is sent on
 * every path (the tests that use this keep a table of what each caller really sends).
 */

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** IAM's service prefix of each SDK client the code uses. */
const SERVICE_OF_CLIENT: Readonly<Record<string, string>> = {
  '@aws-sdk/client-acm-pca': 'acm-pca',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-iot': 'iot',
  '@aws-sdk/client-iot-data-plane': 'iot',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
};

/** The document client's commands, by the API operation each one sends. */
const DOCUMENT_CLIENT_OPERATIONS: Readonly<Record<string, string>> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
};

/**
 * recert's own builders of DynamoDB commands (functions/shared/document-commands.ts): a call of one
 * sends the operation it builds. The module itself is not scanned for commands.
 */
const DOCUMENT_BUILDERS: Readonly<Record<string, string>> = {
  getDocument: 'dynamodb:GetItem',
  updateDocument: 'dynamodb:UpdateItem',
  putDocument: 'dynamodb:PutItem',
  deleteDocument: 'dynamodb:DeleteItem',
  queryDocuments: 'dynamodb:Query',
};
const DOCUMENT_BUILDERS_MODULE = 'functions/shared/document-commands.ts';

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/g;
/** `await import('./x.ts')`: the CLI loads its commands on demand. */
const DYNAMIC_IMPORT = /\bimport\(\s*'([^']+)'\s*\)/g;
const NAMED_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g;

/**
 * The repository files an entry reaches through relative imports, static or dynamic (type-only
 * imports included), leaving out the files `skip` names (by repository path) and what only they reach.
 */
export function reachableModules(entry: string, skip: (path: string) => boolean = () => false): string[] {
  const seen = new Set<string>();
  const queue = [resolve(REPOSITORY_ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file) || skip(relative(REPOSITORY_ROOT, file))) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC_IMPORT)]) {
      if (specifier === undefined || !specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (existsSync(target)) queue.push(target);
    }
  }
  return [...seen].map((file) => relative(REPOSITORY_ROOT, file)).sort();
}

/** The IAM actions of the SDK commands one module constructs, and of recert's DynamoDB builders it calls. */
export function actionsInModule(path: string): string[] {
  if (path === DOCUMENT_BUILDERS_MODULE) return [];
  const text = readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
  const serviceOfCommand = new Map<string, { service: string; documentClient: boolean }>();
  for (const [, typeOnly, names, source] of text.matchAll(NAMED_IMPORT)) {
    const service = source === undefined ? undefined : SERVICE_OF_CLIENT[source];
    if (typeOnly !== undefined || service === undefined || names === undefined) continue;
    for (const raw of names.split(',')) {
      const name = raw.trim();
      if (name.startsWith('type ')) continue;
      if (name.endsWith('Command') || /^paginate[A-Z]/.test(name)) {
        serviceOfCommand.set(name, { service, documentClient: source === '@aws-sdk/lib-dynamodb' });
      }
    }
  }
  const actions = new Set<string>();
  for (const [, paginator] of text.matchAll(/\b(paginate[A-Z][A-Za-z0-9]*)\s*\(/g)) {
    const known = paginator === undefined ? undefined : serviceOfCommand.get(paginator);
    if (known !== undefined && paginator !== undefined) {
      actions.add(`${known.service}:${paginator.slice('paginate'.length)}`);
    }
  }
  for (const [, command] of text.matchAll(/new\s+([A-Za-z0-9]+Command)\s*\(/g)) {
    const known = command === undefined ? undefined : serviceOfCommand.get(command);
    if (known === undefined || command === undefined) continue;
    const operation = known.documentClient
      ? DOCUMENT_CLIENT_OPERATIONS[command]
      : command.slice(0, -'Command'.length);
    if (operation === undefined)
      throw new Error(`${path}: ${command} sends an operation this scan does not know`);
    actions.add(`${known.service}:${operation}`);
  }
  for (const [builder, action] of Object.entries(DOCUMENT_BUILDERS)) {
    if (new RegExp(`\\b${builder}\\(`).test(text)) actions.add(action);
  }
  return [...actions].sort();
}

/** Every action the modules the entries reach can send, with the modules each is found in. */
export function actionsReachable(
  entries: readonly string[],
  skip?: (path: string) => boolean,
): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const modules = new Set(entries.flatMap((entry) => reachableModules(entry, skip)));
  for (const module of modules) {
    for (const action of actionsInModule(module)) found.set(action, [...(found.get(action) ?? []), module]);
  }
  return found;
}
