/**
 * A DynamoDB expression as it reads with its placeholders filled in: `#name` by the attribute it
 * names, `:value` by its value as JSON. Tests compare what a write says, not how it is spelled.
 */
export function resolvedExpression(
  text: string | undefined,
  input: { ExpressionAttributeNames?: unknown; ExpressionAttributeValues?: unknown } | undefined,
): string {
  const names = (input?.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input?.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  return (text ?? '').replace(/[#:][A-Za-z0-9_]+/g, (placeholder) => {
    if (placeholder.startsWith('#')) return names[placeholder] ?? placeholder;
    return placeholder in values ? JSON.stringify(values[placeholder]) : placeholder;
  });
}

/** An update's condition and update expressions with their placeholders filled in. */
export function readableUpdate(input: Record<string, unknown> | undefined): {
  condition: string;
  update: string;
} {
  return {
    condition: resolvedExpression(input?.ConditionExpression as string | undefined, input),
    update: resolvedExpression(input?.UpdateExpression as string | undefined, input),
  };
}

/** Splits an expression's clause at the commas outside parentheses (`list_append(a, b)` is one operand). */
export function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  parts.push(current.trim());
  return parts;
}
