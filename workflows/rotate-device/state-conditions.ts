/**
 * The ConditionExpressions of the definition's own DynamoDB tasks (ClaimThing), rendered from the
 * record-transitions table over the names and values the state declares: a parameter is the state's
 * value of the same name (`:executionArn`), a constant the value that holds it.
 */
import { z } from 'zod';
import { PLACEHOLDERS } from './placeholders.ts';
import { conditionExpression, paramsOf, RECORD_WRITES } from './record-transitions.ts';

export class StateConditionError extends Error {
  override readonly name = 'StateConditionError';
}

const DynamoDbTask = z.object({
  Arguments: z.object({
    ExpressionAttributeNames: z.record(z.string(), z.string()).default({}),
    ExpressionAttributeValues: z.record(z.string(), z.unknown()).default({}),
  }),
});
const Definition = z.object({ States: z.record(z.string(), z.unknown()) });

/** The condition placeholders the definition text uses, each with its rendered ConditionExpression. */
export function stateConditions(template: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [placeholder, binding] of Object.entries(PLACEHOLDERS)) {
    if (binding.kind !== 'condition' || !template.includes(`\${${placeholder}}`)) continue;
    const parsed = Definition.safeParse(JSON.parse(template));
    const task = DynamoDbTask.safeParse(parsed.success ? parsed.data.States[binding.state] : undefined);
    if (!task.success) {
      throw new StateConditionError(`${placeholder}: the definition has no DynamoDB task ${binding.state}`);
    }
    const { ExpressionAttributeNames: names, ExpressionAttributeValues: declared } = task.data.Arguments;
    const requires = RECORD_WRITES[binding.write].requires;
    const params = Object.fromEntries(paramsOf(requires).map((param) => [param, `:${param}`]));
    const condition = conditionExpression(requires, params, {
      name: (attribute) => Object.keys(names).find((key) => names[key] === attribute) ?? attribute,
      value: (value) => {
        const key = Object.keys(declared).includes(String(value))
          ? String(value)
          : Object.keys(declared).find((k) => JSON.stringify(declared[k]) === JSON.stringify({ S: value }));
        if (key === undefined) {
          throw new StateConditionError(
            `${placeholder}: ${binding.state} declares no ExpressionAttributeValue for ${String(value)}`,
          );
        }
        return key;
      },
    });
    values.set(placeholder, condition);
  }
  return values;
}
