import { z } from 'zod';

const States = z.record(z.string(), z.unknown());
const State = z.object({
  Type: z.string(),
  Resource: z.string().optional(),
  Retry: z.array(z.unknown()).optional(),
  Branches: z.array(z.object({ States })).optional(),
  Iterator: z.object({ States }).optional(),
  ItemProcessor: z.object({ States }).optional(),
});

/** A Task state of a definition: where it is (`Parallel[0].Task`), what it calls, its Retry rules unparsed. */
export interface TaskState {
  readonly path: string;
  readonly resource: string;
  readonly retry: readonly unknown[];
}

/** Every Task state, nested ones (Parallel branches, Map iterators and item processors) included. */
export function taskStates(states: Record<string, unknown>, prefix = ''): TaskState[] {
  return Object.entries(states).flatMap(([name, raw]) => {
    const state = State.parse(raw);
    const path = `${prefix}${name}`;
    const nested = [
      ...(state.Branches ?? []).flatMap((branch, i) => taskStates(branch.States, `${path}[${i}].`)),
      ...(state.Iterator ? taskStates(state.Iterator.States, `${path}.`) : []),
      ...(state.ItemProcessor ? taskStates(state.ItemProcessor.States, `${path}.`) : []),
    ];
    if (state.Type !== 'Task') return nested;
    return [{ path, resource: state.Resource ?? '', retry: state.Retry ?? [] }, ...nested];
  });
}
