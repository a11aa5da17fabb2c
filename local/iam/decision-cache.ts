/**
 * A bounded memo of authorization decisions per (principal, action, resource, context), so a fleet's calls
 * do not re-evaluate the same policies; cleared when a role's policies change.
 */
import type { AuthorizationRequest, Decision } from './types.ts';

export class DecisionCache {
  readonly #entries = new Map<string, Decision>();

  constructor(readonly limit = 2_000) {}

  static keyOf(principalArn: string, request: AuthorizationRequest): string {
    return `${principalArn}\n${request.action.toLowerCase()}\n${request.resource}\n${contextKey(request.context)}`;
  }

  get(key: string): Decision | undefined {
    return this.#entries.get(key);
  }

  set(key: string, decision: Decision): void {
    // Evict the oldest entry (Map keeps insertion order) once full.
    if (this.#entries.size >= this.limit && !this.#entries.has(key)) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, decision);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A context's canonical text: keys sorted (and lowercased, as condition keys are case-insensitive). */
function contextKey(context: AuthorizationRequest['context']): string {
  const keys = Object.keys(context);
  if (keys.length === 0) return '';
  const entries = keys.map((key): [string, unknown] => [key.toLowerCase(), context[key]]);
  return JSON.stringify(entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
