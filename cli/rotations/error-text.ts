/**
 * A Lambda failure's cause is the function's error as JSON (`{"errorType","errorMessage","trace"}`);
 * people need the message, not the envelope. Anything else is returned as it is.
 */
export function readableCause(cause: string): string {
  const trimmed = cause.trim();
  if (!trimmed.startsWith('{')) return cause;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      const message = parsed.errorMessage;
      if (typeof message === 'string') return message;
    }
  } catch {
    // Not JSON after all: shown as it is.
  }
  return cause;
}

/** `Name: cause` texts (the rotation record's lastError) with a readable cause. */
export function readableError(text: string): string {
  const match = /^([\w.]+): (\{[\s\S]*\})$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return text;
  return `${match[1]}: ${readableCause(match[2])}`;
}
