import type {
  ExecutionRecord,
  Frame,
  HistoryEvent,
  MachineRecord,
} from '../../../local/stepfunctions/model.ts';
import type { StoredState } from '../../../local/stepfunctions/store.ts';

/** Records the store tests write and read back. */
export const machine: MachineRecord = {
  arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
  name: 'm',
  definitionHash: 'h1',
  roleArn: 'arn:aws:iam::000000000000:role/r',
  type: 'STANDARD',
  creationDate: 1,
  revisionId: 'r1',
};
export const execution: ExecutionRecord = {
  arn: 'arn:aws:states:us-east-1:000000000000:execution:m:e',
  machineArn: machine.arn,
  name: 'e',
  definitionHash: 'h1',
  roleArn: machine.roleArn,
  status: 'RUNNING',
  startDate: 2,
  input: '{}',
  redriveCount: 0,
  billed: 1,
  nextFrame: 1,
  nextEventId: 2,
};
export const frame: Frame = {
  id: '0',
  container: 'root',
  index: 0,
  status: 'running',
  state: 'W',
  input: { a: 1 },
  enteredAt: 3,
  variables: {},
  outer: {},
  phase: { kind: 'wait', until: 99 },
  retries: [],
  children: [],
  lastEventId: 1,
};
export const event: HistoryEvent = { id: 1, previousEventId: 0, timestamp: 2, type: 'ExecutionStarted' };

export const empty = (): StoredState => ({
  machines: new Map(),
  definitions: new Map(),
  executions: new Map(),
  frames: new Map(),
  events: new Map(),
});
