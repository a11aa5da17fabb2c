import { isObject, type Json, type JsonObject } from './json.ts';

/**
 * The definition as asl-validator is shown it. Its schema takes a JSONata `Output` or `Arguments`
 * only as a `{% %}` string or an object of template values, and template values without empty
 * strings or nested arrays; Step Functions takes any JSON value there and evaluates only the `{% %}`
 * strings in it. So each such field (and each `Assign` value) is shown with its expressions only:
 * their syntax is still checked, and the literals AWS accepts are not refused.
 */
export const validatorView = (root: JsonObject): JsonObject => {
  const copy = structuredClone(root);
  const topLanguage = copy.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
  viewContainer(copy, topLanguage);
  return copy;
};

const viewContainer = (container: JsonObject, topLanguage: string): void => {
  const states = container.States;
  if (!isObject(states)) return;
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    const language = typeof state.QueryLanguage === 'string' ? state.QueryLanguage : topLanguage;
    if (language === 'JSONata') {
      viewFields(state);
      if (Array.isArray(state.Choices))
        for (const rule of state.Choices) if (isObject(rule)) viewFields(rule);
    }
    // Nested states take the top level's language, as the validator reads them.
    if (Array.isArray(state.Branches))
      for (const branch of state.Branches) if (isObject(branch)) viewContainer(branch, topLanguage);
    for (const key of ['ItemProcessor', 'Iterator']) {
      const processor = state[key];
      if (isObject(processor)) viewContainer(processor, topLanguage);
    }
  }
};

const viewFields = (node: JsonObject): void => {
  for (const field of ['Output', 'Arguments']) {
    const value = node[field];
    if (value !== undefined) node[field] = expressionsOnly(value);
  }
  const assign = node.Assign;
  if (isObject(assign)) {
    for (const [key, value] of Object.entries(assign)) assign[key] = expressionsOnly(value);
  }
};

/** A string the validator reads as a JSONata expression: it starts with `{% `. */
const looksLikeExpression = (value: string): boolean => value.startsWith('{% ');

/**
 * The value's expressions: the expression itself, or an object holding each one found inside under
 * its path (`a.0.b`), so that the validator's message still says where it is.
 */
const expressionsOnly = (value: Json): Json => {
  if (typeof value === 'string' && looksLikeExpression(value)) return oneLine(value);
  const found: JsonObject = {};
  const collect = (v: Json, path: string): void => {
    if (typeof v === 'string') {
      if (looksLikeExpression(v)) found[path] = oneLine(v);
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) collect(item, join(path, String(i)));
    } else if (isObject(v)) {
      for (const [k, item] of Object.entries(v)) collect(item, join(path, k));
    }
  };
  collect(value, '');
  return found;
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

// The schema's expression pattern does not let `.` match a line break; JSONata does not care.
const oneLine = (expression: string): string => expression.replace(/[\r\n\u2028\u2029]/g, ' ');
