import { randomUUID } from 'node:crypto';
import jsonata from 'jsonata';

/**
 * Evaluates the JSONata fields of a state (`Arguments`, `Assign`, `Output`) the way Step Functions
 * does for the parts this workflow uses: `{% expr %}` strings anywhere in a JSON value, with
 * `$states` and the workflow variables bound, and `$uuid()`. Enough to drive the definition's
 * DynamoDB and Lambda arguments against real handlers in tests; the local engine is the full one.
 */
export async function evaluateField(
  value: unknown,
  states: Record<string, unknown>,
  variables: Record<string, unknown>,
): Promise<unknown> {
  if (typeof value === 'string') {
    const match = /^\{%([\s\S]*)%\}$/.exec(value);
    if (!match) return value;
    const expression = jsonata(match[1] ?? '');
    expression.registerFunction('uuid', () => randomUUID());
    const result: unknown = await expression.evaluate({}, { ...variables, states });
    if (result === undefined) throw new Error(`JSONata ${value} evaluated to nothing`);
    return result;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluateField(v, states, variables)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = await evaluateField(v, states, variables);
    return out;
  }
  return value;
}
