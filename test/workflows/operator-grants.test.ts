import { describe, expect, it } from 'vitest';
import { OPERATOR_GRANTS } from '../../workflows/access/identity-policies.ts';
import type { ResourceRole } from '../../workflows/rotate-device/functions.ts';
import { actionsReachable } from './helpers/sdk-calls.ts';

/** The operator's calls: the `recert` CLI and `npm start` (cli/main-job.ts), not the local AWS they start. */
const ENTRIES = ['cli/bin.ts', 'cli/main-job.ts'];
const OUTSIDE_THE_CLI = (path: string) => path.startsWith('local/') || path.startsWith('device/');

/** Each call the CLI sends, read from cli/, by the resource it names. */
const CALLS: readonly (readonly [string, ResourceRole])[] = [
  ['cloudformation:DescribeStacks', 'stack'], // target/aws-target.ts
  ['states:StartExecution', 'stateMachine'], // rotations/start.ts
  ['states:StartExecution', 'campaignStateMachine'], // campaigns/resume.ts (a fresh generation)
  ['states:ListExecutions', 'campaignStateMachine'], // campaigns/executions.ts
  ['states:DescribeExecution', 'executions'], // rotations-show, abandon, redrive, start
  ['states:GetExecutionHistory', 'executions'], // rotations/timeline.ts
  ['states:StopExecution', 'executions'], // rotations/abandon.ts
  ['states:RedriveExecution', 'executions'], // rotations/redrive.ts
  ['states:DescribeExecution', 'campaignExecutions'], // campaigns-show, campaigns/resume.ts
  ['states:RedriveExecution', 'campaignExecutions'], // campaigns/resume.ts
  ['dynamodb:GetItem', 'rotationTable'], // rotation-record.ts get (rotations show)
  ['dynamodb:BatchGetItem', 'rotationTable'], // rotations/batch-get.ts
  ['dynamodb:UpdateItem', 'rotationTable'], // rotations/abandon.ts
  ['dynamodb:Scan', 'rotationTable'], // main-job/campaign.ts (npm start, local)
  ['dynamodb:Query', 'rotationTableIndexes'], // rotations/records.ts (byStatus)
  ['dynamodb:GetItem', 'campaignTable'], // campaigns/meta.ts, main-job/campaign-progress.ts
  ['dynamodb:UpdateItem', 'campaignTable'], // campaigns/stop.ts, campaigns/resume.ts
  ['iot:DescribeCertificate', 'iotCertificates'], // compliance, expiring, start, verify
  ['iot:ListPrincipalThings', 'iotCertificates'], // iot/audit.ts thingsOfPrincipal
  ['iot:DetachThingPrincipal', 'iotCertificates'], // iot/revoke-certificate.ts (abandon)
  ['iot:DetachPolicy', 'iotCertificates'], // idem
  ['iot:UpdateCertificate', 'iotCertificates'], // idem
  ['iot:DeleteCertificate', 'iotCertificates'], // idem
  ['iot:ListAttachedPolicies', 'any'], // idem
  ['iot:DescribeThing', 'iotThings'], // rotations/things.ts
  ['iot:ListThingPrincipals', 'iotThings'], // rotations/start.ts, main-job/verify.ts
  ['iot:ListAuditTasks', 'any'], // iot/audit.ts
  ['iot:DescribeAuditTask', 'any'], // iot/audit.ts, main-job/campaign.ts
  ['iot:ListAuditFindings', 'any'], // iot/audit.ts
  ['iot:StartOnDemandAuditTask', 'any'], // main-job/campaign.ts
];

const sorted = (pairs: readonly (readonly [string, ResourceRole])[]) =>
  pairs.map(([action, resource]) => `${action} on ${resource}`).sort();

describe("the operator's policy", () => {
  it('grants each call the CLI sends, on the resource it names, and nothing else', () => {
    // Act
    const granted = sorted(OPERATOR_GRANTS.flatMap((g) => g.actions.map((a) => [a, g.resource] as const)));

    // Assess
    expect(granted).toEqual(sorted(CALLS));
    expect(OPERATOR_GRANTS.some((g) => g.leadingKeys !== undefined)).toBe(false);
  });

  it("lists exactly the commands found in the CLI's code", () => {
    // Act
    const inCode = [...actionsReachable(ENTRIES, OUTSIDE_THE_CLI).keys()].sort();

    // Assess
    expect([...new Set(CALLS.map(([action]) => action))].sort()).toEqual(inCode);
  });
});
