import { describe, expect, it } from 'vitest';
import {
  DEPLOYED_FUNCTION_IDS,
  functionSpec,
  identityStatements,
  type PolicyStatement,
  type StateMachineId,
} from '../../workflows/access/identity-policies.ts';
import { SAMPLE_ARNS } from './helpers/sample-arns.ts';

/** The functions whose trigger is a task of this state machine, by the contract's triggers. */
function taskFunctionArns(stateMachine: StateMachineId): string[] {
  return DEPLOYED_FUNCTION_IDS.filter((fid) => {
    const trigger = functionSpec(fid).trigger;
    return (
      trigger.kind === 'state-machine-task' && (trigger.stateMachine ?? 'rotate-device') === stateMachine
    );
  })
    .map((fid) => SAMPLE_ARNS.functionArns[fid])
    .sort();
}

/** Resources in a stable order: the contract lists them by placeholder name. */
const byResource = (statements: readonly PolicyStatement[]) =>
  statements.map((st) => ({ ...st, Resource: ([] as string[]).concat(st.Resource ?? []).sort() }));

describe("state machines' statements, read from their definitions", () => {
  it('rotate-device invokes exactly its task functions, unqualified, and updates the rotation table', () => {
    // Act
    const statements = byResource(
      identityStatements('state-machine:rotate-device', SAMPLE_ARNS, { issuer: 'aws-iot' }),
    );

    // Assess
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: taskFunctionArns('rotate-device') },
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: [SAMPLE_ARNS.rotationTableArn] },
    ]);
  });

  it('campaign invokes exactly its two task functions and touches no table itself', () => {
    // Act
    const statements = byResource(
      identityStatements('state-machine:campaign', SAMPLE_ARNS, { issuer: 'acm-pca' }),
    );

    // Assess
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: taskFunctionArns('campaign') },
    ]);
  });
});
