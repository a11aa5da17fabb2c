import { randomUUID } from 'node:crypto';
import { type Definition, loadDefinition } from '../definition.ts';
import { apiError, InvalidDefinitionError } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import type { MachineRecord } from '../model.ts';
import { checkMachineArn, checkName, machineArn } from '../names.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { executionOf, machineOf, paginate, requireString, secs } from './shared.ts';

/** The state machine operations: Create, Update, Describe (and ForExecution), List, Delete. */

export const createStateMachine = (rt: Runtime, input: JsonObject): JsonObject => {
  const name = requireString(input, 'name');
  const definitionText = requireString(input, 'definition');
  const roleArn = requireString(input, 'roleArn');
  checkName(name, 'state machine');
  const type = input.type === undefined ? 'STANDARD' : input.type;
  if (type !== 'STANDARD' && type !== 'EXPRESS') {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
    );
  }
  const definition = validate(definitionText);
  if (type === 'EXPRESS' && /\.waitForTaskToken"/.test(definitionText)) {
    throw apiError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'Express state machines do not support the .waitForTaskToken service integration pattern'",
    );
  }
  const arn = machineArn(rt.region, rt.accountId, name);
  const existing = rt.machines.get(arn);
  if (existing) {
    if (
      existing.definitionHash === definition.hash &&
      existing.roleArn === roleArn &&
      existing.type === type
    ) {
      return { stateMachineArn: arn, creationDate: secs(existing.creationDate) };
    }
    throw apiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
  }
  const record: MachineRecord = {
    arn,
    name,
    definitionHash: definition.hash,
    roleArn,
    type,
    creationDate: rt.clock.now(),
    revisionId: randomUUID(),
    ...(input.loggingConfiguration !== undefined ? { loggingConfiguration: input.loggingConfiguration } : {}),
    ...(input.tracingConfiguration !== undefined ? { tracingConfiguration: input.tracingConfiguration } : {}),
  };
  saveDefinition(rt, definition);
  rt.machines.set(arn, record);
  rt.store.putMachine(record);
  return { stateMachineArn: arn, creationDate: secs(record.creationDate) };
};

export const updateStateMachine = (rt: Runtime, input: JsonObject): JsonObject => {
  const machine = machineOf(rt, input.stateMachineArn);
  if (
    input.definition === undefined &&
    input.roleArn === undefined &&
    input.loggingConfiguration === undefined &&
    input.tracingConfiguration === undefined
  ) {
    throw apiError(
      'MissingRequiredParameter',
      'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified',
    );
  }
  if (input.definition !== undefined) {
    if (typeof input.definition !== 'string')
      throw apiError('ValidationException', 'definition must be a string');
    const definition = validate(input.definition);
    saveDefinition(rt, definition);
    machine.definitionHash = definition.hash;
  }
  if (typeof input.roleArn === 'string') machine.roleArn = input.roleArn;
  if (input.loggingConfiguration !== undefined) machine.loggingConfiguration = input.loggingConfiguration;
  if (input.tracingConfiguration !== undefined) machine.tracingConfiguration = input.tracingConfiguration;
  machine.updateDate = rt.clock.now();
  machine.revisionId = randomUUID();
  rt.store.putMachine(machine);
  return { updateDate: secs(machine.updateDate), revisionId: machine.revisionId };
};

export const describeStateMachine = (rt: Runtime, input: JsonObject): JsonObject => {
  const machine = machineOf(rt, input.stateMachineArn);
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    status: 'ACTIVE',
    definition: rt.definitionTexts.get(machine.definitionHash) ?? '',
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: secs(machine.creationDate),
    revisionId: machine.revisionId,
    loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: machine.tracingConfiguration ?? { enabled: false },
  };
};

export const describeStateMachineForExecution = (rt: Runtime, input: JsonObject): JsonObject => {
  const exec = executionOf(rt, input.executionArn);
  const machine = rt.machines.get(exec.record.machineArn);
  return {
    stateMachineArn: exec.record.machineArn,
    name: machine?.name ?? exec.record.machineArn.split(':').pop() ?? '',
    definition: exec.definition.text,
    roleArn: exec.record.roleArn,
    updateDate: secs(machine?.updateDate ?? machine?.creationDate ?? exec.record.startDate),
  };
};

export const listStateMachines = (rt: Runtime, input: JsonObject): JsonObject => {
  const all = [...rt.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
  const { page, nextToken } = paginate(all, input, 'stateMachines');
  return {
    stateMachines: page.map((m) => ({
      stateMachineArn: m.arn,
      name: m.name,
      type: m.type,
      creationDate: secs(m.creationDate),
    })),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const deleteStateMachine = (rt: Runtime, input: JsonObject): JsonObject => {
  const arn = checkMachineArn(input.stateMachineArn);
  if (rt.machines.delete(arn)) rt.store.deleteMachine(arn);
  return {};
};

const validate = (text: string): Definition => {
  try {
    return loadDefinition(text);
  } catch (error) {
    if (error instanceof InvalidDefinitionError)
      throw apiError('InvalidDefinition', error.message, { cause: error });
    throw error;
  }
};

export const saveDefinition = (rt: Runtime, definition: Definition): void => {
  if (rt.definitionTexts.has(definition.hash)) return;
  rt.definitionTexts.set(definition.hash, definition.text);
  rt.store.putDefinition(definition.hash, definition.text);
};
