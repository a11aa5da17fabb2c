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
