import type { Target } from '../cli/index.ts';
import { namedError } from '../lib/named-error.ts';
import type { AslGraph } from './asl-graph.ts';
import type { ExpiryCache } from './data/expiry.ts';

/** What every page and action of the console works with. */
export interface ConsoleContext {
  readonly target: Target;
  readonly now: () => number;
  /** No action forms, and every state-changing request refused. */
  readonly readOnly: boolean;
  /** The rotate-device state machine's graph, from its ASL definition. */
  readonly rotateGraph: AslGraph;
  readonly expiry: ExpiryCache;
}

/** Bad input from a request (a malformed cursor, an unknown status): shown as 400 with this message. */
export class BadRequestError extends namedError('BadRequestError') {}
