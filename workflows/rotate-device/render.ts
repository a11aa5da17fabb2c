import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FUNCTION_IDS, type FunctionId } from './functions.ts';
import { PLACEHOLDERS } from './placeholders.ts';
import { resolveSettings, type Settings } from './settings.ts';
import { stateConditions } from './state-conditions.ts';

/** The definition file, relative to the repository root, and as an absolute path. */
export const DEFINITION_FILE = 'asl/rotate-device.asl.json';
export const DEFINITION_PATH = fileURLToPath(new URL('../../asl/rotate-device.asl.json', import.meta.url));

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const WHOLE_STRING_PLACEHOLDER = /"\$\{([A-Za-z][A-Za-z0-9_]*)\}"/g;

export class DefinitionRenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DefinitionRenderError';
  }
}

export function readDefinitionTemplate(path: string = DEFINITION_PATH): string {
  return readFileSync(path, 'utf8');
}

/** The distinct placeholder names a definition text uses. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))].sort();
}

/** What the environment provides: one ARN per task function and the table name. */
export interface Resources {
  readonly functionArns: Readonly<Record<FunctionId, string>> | Readonly<Partial<Record<FunctionId, string>>>;
  readonly tableName: string;
}

/** Replaces the placeholders `values` names; numbers fill whole-string placeholders bare. */
export function substitute(template: string, values: ReadonlyMap<string, string | number>): string {
  // A setting that is a whole JSON string becomes a bare number (Retry fields must be numbers).
  const numbersDone = template.replace(WHOLE_STRING_PLACEHOLDER, (whole, name: string) => {
    const value = values.get(name);
    return typeof value === 'number' ? String(value) : whole;
  });
  return numbersDone.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values.get(name);
    if (value === undefined) return whole;
    // Inside a JSON string: escape as JSON string content.
    return JSON.stringify(String(value)).slice(1, -1);
  });
}

function settingValues(settings: Settings): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, binding] of Object.entries(PLACEHOLDERS)) {
    if (binding.kind === 'setting') values.set(name, settings[binding.setting]);
  }
  return values;
}

/**
 * Replaces the settings and the DynamoDB tasks' conditions (the record-transitions table's), leaving
 * ARNs and the table name to CloudFormation's DefinitionSubstitutions, which substitutes strings only
 * (numeric Retry fields must be baked in first).
 */
export function bakeSettings(template: string, overrides: Partial<Settings> = {}): string {
  const values = new Map<string, string | number>([
    ...settingValues(resolveSettings(overrides)),
    ...stateConditions(template),
  ]);
  return substitute(template, values);
}

/**
 * The definition ready for CreateStateMachine: every placeholder replaced. Throws when a function
 * ARN or the table name is missing, or when the result still has a placeholder or is not JSON.
 */
export function renderDefinition(
  resources: Resources,
  overrides: Partial<Settings> = {},
  template: string = readDefinitionTemplate(),
): string {
  const values = new Map<string, string | number>([
    ...settingValues(resolveSettings(overrides)),
    ...stateConditions(template),
  ]);
  for (const [name, binding] of Object.entries(PLACEHOLDERS)) {
    if (binding.kind === 'function') {
      const arn = resources.functionArns[binding.functionId];
      if (!arn) throw new DefinitionRenderError(`no ARN given for function ${binding.functionId} (${name})`);
      values.set(name, arn);
    } else if (binding.kind === 'table') {
      if (!resources.tableName) throw new DefinitionRenderError(`no table name given (${name})`);
      values.set(name, resources.tableName);
    }
  }
  return substituteAll(template, values, 'definition');
}

/** Replaces every placeholder; throws when one is left unbound or the result is not JSON. */
export function substituteAll(
  template: string,
  values: ReadonlyMap<string, string | number>,
  what: string,
): string {
  const rendered = substitute(template, values);
  const left = placeholdersIn(rendered);
  if (left.length > 0) throw new DefinitionRenderError(`unbound placeholders: ${left.join(', ')}`);
  try {
    JSON.parse(rendered);
  } catch (error) {
    throw new DefinitionRenderError(`the rendered ${what} is not JSON`, { cause: error });
  }
  return rendered;
}

/** Function ids that the state machine invokes (the others are triggered by events). */
export const TASK_FUNCTION_IDS: readonly FunctionId[] = FUNCTION_IDS.filter((id) =>
  Object.values(PLACEHOLDERS).some((b) => b.kind === 'function' && b.functionId === id),
);
