/**
 * What no page shows: task tokens, certificate bodies, private keys, CSRs and credentials. Values
 * under such keys, and any string that holds a PEM block, are replaced by a note of what was there.
 */
const SECRET_KEYS = /token|pem|privatekey|private_key|secret|credential|password|csr|signature/i;
const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;

/** The note shown in place of a secret: its kind and length, never a part of it. */
export function secretNote(kind: string, text: string): string {
  return `[${kind} hidden, ${text.length} characters]`;
}

/** Whether a value is already a note in place of a secret (redacting twice keeps the first note). */
const isSecretNote = (value: unknown): boolean =>
  typeof value === 'string' && /^\[[^\]]* hidden, \d+ characters\]$/.test(value);

/** A string with every PEM block replaced by a note. */
export function redactText(text: string): string {
  return text.replace(PEM, (block) => {
    const kind = /PRIVATE KEY/.test(block)
      ? 'private key'
      : /CERTIFICATE REQUEST/.test(block)
        ? 'CSR'
        : 'certificate';
    return secretNote(kind, block);
  });
}

/** A JSON value with its secrets replaced; the rest as it was. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 40) return '[too deep]';
  if (typeof value === 'string') return redactString(value, depth);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        SECRET_KEYS.test(key) &&
        item !== null &&
        item !== undefined &&
        typeof item !== 'boolean' &&
        !isSecretNote(item)
          ? secretNote(key, typeof item === 'string' ? item : JSON.stringify(item))
          : redactValue(item, depth + 1);
    }
    return out;
  }
  return value;
}

/** A string that is itself JSON (an event's input or output) is redacted as JSON. */
function redactString(text: string, depth: number): unknown {
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && trimmed.length > 1) {
    try {
      return JSON.stringify(redactValue(JSON.parse(trimmed), depth + 1));
    } catch {
      // Not JSON: redacted as text.
    }
  }
  return redactText(text);
}

/** An event input or output (JSON text) as the page shows it: redacted and indented. */
export function redactedJson(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.stringify(redactValue(JSON.parse(text)), null, 2);
  } catch {
    return redactText(text);
  }
}

/** A run of 100 or more base64 characters: an opaque token (a Step Functions task token), not prose. */
const OPAQUE_TOKEN = /[A-Za-z0-9+/_=-]{100,}/g;

/** Free text with its PEM blocks and opaque tokens replaced by notes. */
export function redactLogText(text: string): string {
  return redactText(text).replace(OPAQUE_TOKEN, (token) => secretNote('token', token));
}

/** A log record with its secrets replaced: `redactValue`, and opaque tokens quoted in any string. */
export function redactLogValue(value: unknown): unknown {
  return mapStrings(redactValue(value), redactLogText);
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}
