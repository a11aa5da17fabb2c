import { type JsonObject, parseJson } from '../json.ts';
import type { Execution, Frame } from '../model.ts';
import type { Scope } from '../payload.ts';

/** The context object (`$$` in JSONPath, `$states.context` in JSONata) and the variables a frame sees. */

export const iso = (ms: number): string => new Date(ms).toISOString();

export const contextObject = (exec: Execution, frame: Frame, extra?: JsonObject): JsonObject => {
  const r = exec.record;
  const machineName = r.machineArn.split(':').pop() ?? '';
  return {
    Execution: {
      Id: r.arn,
      Input: parseJson(r.input),
      Name: r.name,
      RoleArn: r.roleArn,
      StartTime: iso(r.startDate),
      RedriveCount: r.redriveCount,
      ...(r.redriveDate !== undefined ? { RedriveTime: iso(r.redriveDate) } : {}),
    },
    State: {
      EnteredTime: iso(frame.enteredAt),
      Name: frame.state,
      RetryCount: frame.retries.reduce((a, b) => a + b, 0),
    },
    StateMachine: { Id: r.machineArn, Name: machineName },
    ...extra,
  };
};

export const scopeOf = (exec: Execution, frame: Frame, extra?: JsonObject): Scope => ({
  context: contextObject(exec, frame, extra),
  variables: { ...frame.outer, ...frame.variables },
});
