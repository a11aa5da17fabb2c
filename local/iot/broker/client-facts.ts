/** What the broker reads off an aedes client beyond its typed API, and its fail-closed checks. */
import type { Client } from 'aedes';

/**
 * Runs an authorization check; if the check itself throws (say, a stored policy that no longer
 * parses), the answer is a denial, never an exception inside the broker.
 */
export function failClosed(check: () => string | undefined, denial: string): string | undefined {
  try {
    return check();
  } catch (error) {
    return `${denial}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The will of a connecting client; aedes holds it on the client before CONNACK, untyped. */
export function lastWill(client: Client): { topic: string; retain: boolean } | undefined {
  const will: unknown = Reflect.get(client, '_will');
  if (typeof will !== 'object' || will === null) return undefined;
  const topic: unknown = Reflect.get(will, 'topic');
  if (typeof topic !== 'string') return undefined;
  return { topic, retain: Reflect.get(will, 'retain') === true };
}

/** aedes marks a client that sent DISCONNECT; the flag is not in its type declarations. */
export function isClientInitiated(client: Client): boolean {
  return Reflect.get(client, '_disconnected') === true;
}
