import { namedError } from '../lib/named-error.ts';
/** The states of an ASL definition and the transitions between them, as a graph to draw. */
export interface AslNode {
  readonly id: string;
  readonly type: string;
}

export interface AslEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'catch' | 'choice' | 'default';
  /** The errors a Catch takes, or a choice's label. */
  readonly label?: string;
}

export interface AslGraph {
  readonly startAt: string;
  readonly nodes: readonly AslNode[];
  readonly edges: readonly AslEdge[];
}

/** Pseudo-states for where an execution starts and ends, drawn as in the Step Functions console. */
export const START = '__start__';
export const END = '__end__';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export class AslGraphError extends namedError('AslGraphError') {}

/**
 * The top-level states of a definition (the JSON text of `asl/*.asl.json`, placeholders and all):
 * Next, End, Catch, Choices and Default become edges; a terminal state (End, Succeed, Fail) leads to END.
 */
export function aslGraph(definition: string): AslGraph {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (error) {
    throw new AslGraphError(`the state machine definition is not JSON: ${String(error)}`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.States) || typeof parsed.StartAt !== 'string') {
    throw new AslGraphError('the state machine definition has no StartAt and States');
  }
  const nodes: AslNode[] = [{ id: START, type: 'Start' }];
  const edges: AslEdge[] = [{ from: START, to: parsed.StartAt, kind: 'next' }];
  let reachesEnd = false;
  for (const [id, state] of Object.entries(parsed.States)) {
    if (!isRecord(state)) continue;
    const type = text(state.Type) ?? 'Unknown';
    nodes.push({ id, type });
    const next = text(state.Next);
    if (next) edges.push({ from: id, to: next, kind: 'next' });
    if (state.End === true || type === 'Succeed' || type === 'Fail') {
      edges.push({ from: id, to: END, kind: 'next' });
      reachesEnd = true;
    }
    for (const c of Array.isArray(state.Catch) ? state.Catch : []) {
      const to = isRecord(c) ? text(c.Next) : undefined;
      if (!isRecord(c) || to === undefined) continue;
      const errors = Array.isArray(c.ErrorEquals) ? c.ErrorEquals.filter((e) => typeof e === 'string') : [];
      edges.push({ from: id, to, kind: 'catch', label: shortErrors(errors) });
    }
    for (const choice of Array.isArray(state.Choices) ? state.Choices : []) {
      const to = isRecord(choice) ? text(choice.Next) : undefined;
      if (to) edges.push({ from: id, to, kind: 'choice' });
    }
    const fallback = text(state.Default);
    if (fallback) edges.push({ from: id, to: fallback, kind: 'default', label: 'default' });
  }
  if (reachesEnd) nodes.push({ id: END, type: 'End' });
  const known = new Set(nodes.map((n) => n.id));
  const dangling = edges.find((e) => !known.has(e.to));
  if (dangling)
    throw new AslGraphError(`state ${dangling.from} leads to ${dangling.to}, which is not a state`);
  return { startAt: parsed.StartAt, nodes, edges };
}

/** A Catch's errors, short enough for an edge label. */
function shortErrors(errors: readonly string[]): string {
  const names = errors.map((e) => e.replace(/^Recert\./, ''));
  return names.length > 2 ? `${names.slice(0, 2).join(', ')} +${names.length - 2}` : names.join(', ');
}
