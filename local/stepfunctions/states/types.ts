import { type ParsedResource, parseResource } from '../integrations.ts';
import type { Interpreter } from '../interpreter.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import type { Execution, Frame } from '../model.ts';
import { JSONATA_LANGUAGE } from '../query/jsonata.ts';
import { JSONPATH_LANGUAGE } from '../query/jsonpath.ts';
import type { QueryLanguage } from '../query/language.ts';

/**
 * The states of a definition, parsed once when it is loaded: one type per state kind, each with the
 * query language that shapes its input and output. A field absent from the definition is undefined.
 */

/** The data-flow fields of a state, in either query language (each state type keeps those it has). */
export interface StateIO {
  readonly inputPath?: Json;
  readonly parameters?: Json;
  readonly resultSelector?: Json;
  readonly resultPath?: Json;
  readonly outputPath?: Json;
  readonly arguments?: Json;
  readonly output?: Json;
  readonly assign?: Json;
}

/** A Catch entry: the errors it takes, where it goes, and how it shapes the error output. */
export interface Catcher {
  readonly errorEquals: Json | undefined;
  readonly next: string;
  readonly resultPath?: Json;
  readonly output?: Json;
  readonly assign?: Json;
}

interface Common {
  readonly name: string;
  readonly language: QueryLanguage;
  readonly io: StateIO;
  readonly next: string | undefined;
}

/** Retry and Catch, which only Task, Parallel and Map have. */
interface Recovering {
  /** The Retry array as written (a frame counts attempts by retrier position). */
  readonly retry: readonly Json[];
  readonly catch: readonly Catcher[];
}

export interface PassState extends Common {
  readonly type: 'Pass';
  readonly result?: Json;
}

export interface TaskState extends Common, Recovering {
  readonly type: 'Task';
  readonly resourceArn: string;
  /** The parsed resource, or why it cannot be called (a state failure when the task runs). */
  readonly resource: ParsedResource | Error;
  readonly timeoutSeconds?: Json;
  readonly timeoutSecondsPath?: Json;
  readonly heartbeatSeconds?: Json;
  readonly heartbeatSecondsPath?: Json;
}

export interface ChoiceState extends Common {
  readonly type: 'Choice';
  readonly choices: readonly JsonObject[];
  readonly default?: Json;
}

export interface WaitState extends Common {
  readonly type: 'Wait';
  readonly seconds?: Json;
  readonly timestamp?: Json;
  readonly secondsPath?: Json;
  readonly timestampPath?: Json;
}

export interface SucceedState extends Common {
  readonly type: 'Succeed';
}

export interface FailState extends Common {
  readonly type: 'Fail';
  readonly error?: Json;
  readonly cause?: Json;
  readonly errorPath?: Json;
  readonly causePath?: Json;
}

export interface ParallelState extends Common, Recovering {
  readonly type: 'Parallel';
  readonly branches: number;
}

export interface MapState extends Common, Recovering {
  readonly type: 'Map';
  readonly items?: Json;
  readonly itemsPath?: Json;
  /** ItemSelector, or the older Parameters. */
  readonly itemSelector?: Json;
  readonly maxConcurrency?: Json;
  readonly maxConcurrencyPath?: Json;
  readonly toleratedFailureCount?: Json;
  readonly toleratedFailurePercentage?: Json;
}

/** A state whose Type the engine does not know: running it fails with States.Runtime. */
export interface UnknownState extends Common {
  readonly type: 'Unknown';
  readonly typeName: string;
}

export type State =
  | PassState
  | TaskState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState
  | UnknownState;

/** Runs one entered state of a frame: the shape of the runner of each state type. */
export type StateRunner<S extends State> = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: S,
) => Promise<void>;

/** The states that run children (Parallel branches, Map iterations). */
export type ContainerState = ParallelState | MapState;

const pick = (raw: JsonObject, fields: readonly string[]): Record<string, Json> => {
  const out: Record<string, Json> = {};
  for (const f of fields) {
    const v = raw[f];
    if (v !== undefined) out[f.charAt(0).toLowerCase() + f.slice(1)] = v;
  }
  return out;
};

/** The input and output fields of a state that produces a result from Parameters or Arguments. */
const RESULT_IO = [
  'InputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Arguments',
  'Output',
  'Assign',
] as const;

const IO: Readonly<Record<string, readonly string[]>> = {
  Pass: ['InputPath', 'Parameters', 'ResultPath', 'OutputPath', 'Output', 'Assign'],
  Task: RESULT_IO,
  Choice: ['InputPath', 'OutputPath', 'Output', 'Assign'],
  Wait: ['InputPath', 'OutputPath', 'Output', 'Assign'],
  Succeed: ['InputPath', 'OutputPath', 'Output'],
  Fail: [],
  Parallel: RESULT_IO,
  Map: ['InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Output', 'Assign'],
};

const objects = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

const catchers = (v: Json | undefined): Catcher[] =>
  objects(v).flatMap((c) =>
    typeof c.Next === 'string'
      ? [{ errorEquals: c.ErrorEquals, next: c.Next, ...pick(c, ['ResultPath', 'Output', 'Assign']) }]
      : [],
  );

const resourceOf = (arn: string): ParsedResource | Error => {
  try {
    return parseResource(arn);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
};

/** Parses one state of a definition; `language` is the definition's own query language. */
export const parseState = (name: string, raw: JsonObject, language: 'JSONPath' | 'JSONata'): State => {
  const lang =
    raw.QueryLanguage === 'JSONata' || raw.QueryLanguage === 'JSONPath' ? raw.QueryLanguage : language;
  const typeName = typeof raw.Type === 'string' ? raw.Type : 'Unknown';
  const common: Common = {
    name,
    language: lang === 'JSONata' ? JSONATA_LANGUAGE : JSONPATH_LANGUAGE,
    io: pick(raw, IO[typeName] ?? []),
    next: typeof raw.Next === 'string' ? raw.Next : undefined,
  };
  const recovering: Recovering = {
    retry: Array.isArray(raw.Retry) ? raw.Retry : [],
    catch: catchers(raw.Catch),
  };
  switch (typeName) {
    case 'Pass':
      return { ...common, type: 'Pass', ...pick(raw, ['Result']) };
    case 'Task': {
      const resourceArn = typeof raw.Resource === 'string' ? raw.Resource : '';
      return {
        ...common,
        ...recovering,
        type: 'Task',
        resourceArn,
        resource: resourceOf(resourceArn),
        ...pick(raw, ['TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath']),
      };
    }
    case 'Choice':
      return { ...common, type: 'Choice', choices: objects(raw.Choices), ...pick(raw, ['Default']) };
    case 'Wait':
      return {
        ...common,
        type: 'Wait',
        ...pick(raw, ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath']),
      };
    case 'Succeed':
      return { ...common, type: 'Succeed' };
    case 'Fail':
      return { ...common, type: 'Fail', ...pick(raw, ['Error', 'Cause', 'ErrorPath', 'CausePath']) };
    case 'Parallel':
      return {
        ...common,
        ...recovering,
        type: 'Parallel',
        branches: Array.isArray(raw.Branches) ? raw.Branches.length : 0,
      };
    case 'Map': {
      const selector = raw.ItemSelector ?? raw.Parameters;
      return {
        ...common,
        ...recovering,
        type: 'Map',
        ...pick(raw, [
          'Items',
          'ItemsPath',
          'MaxConcurrency',
          'MaxConcurrencyPath',
          'ToleratedFailureCount',
          'ToleratedFailurePercentage',
        ]),
        ...(selector !== undefined ? { itemSelector: selector } : {}),
      };
    }
    default:
      return { ...common, type: 'Unknown', typeName };
  }
};

/** The Type as written: what the history's StateEntered and StateExited events are named after. */
export const typeName = (state: State): string => (state.type === 'Unknown' ? state.typeName : state.type);
