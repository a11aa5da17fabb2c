import type { Grant } from '../rotate-device/functions.ts';

/**
 * The operator's least privilege: every call the `recert` CLI (and `npm start`) sends, on its resources;
 * test/workflows/operator-grants.test.ts fails when a grant and a call disagree.
 */
export const OPERATOR_GRANTS: readonly Grant[] = [
  // Finding the deployment: the stack's outputs name the tables and state machines.
  { actions: ['cloudformation:DescribeStacks'], resource: 'stack' },
  // `recert rotate` starts rotations; `recert campaigns resume` a fresh campaign execution.
  { actions: ['states:StartExecution'], resource: 'stateMachine' },
  { actions: ['states:StartExecution', 'states:ListExecutions'], resource: 'campaignStateMachine' },
  // `rotations show` (timeline), `abandon` (stop), `redrive`.
  {
    actions: [
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:StopExecution',
      'states:RedriveExecution',
    ],
    resource: 'executions',
  },
  // `campaigns show` and `campaigns resume` (a redrive of the latest execution).
  { actions: ['states:DescribeExecution', 'states:RedriveExecution'], resource: 'campaignExecutions' },
  // Rotation records: read one or a batch, abandon (UpdateItem); `npm start` scans the local table.
  {
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'],
    resource: 'rotationTable',
  },
  // `rotations list` / `status` / `report` query the byStatus index.
  { actions: ['dynamodb:Query'], resource: 'rotationTableIndexes' },
  // Campaign META items: show, stop, resume.
  { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'campaignTable' },
  // Certificates: status, the things they are on, and revoking an abandoned rotation's new one.
  {
    actions: [
      'iot:DescribeCertificate',
      'iot:ListPrincipalThings',
      'iot:DetachThingPrincipal',
      'iot:DetachPolicy',
      'iot:UpdateCertificate',
      'iot:DeleteCertificate',
    ],
    resource: 'iotCertificates',
  },
  // `recert rotate <thing>`: the thing exists, and its certificates.
  { actions: ['iot:DescribeThing', 'iot:ListThingPrincipals'], resource: 'iotThings' },
  // No resource type in the authorization reference: audits and their findings, attached policies.
  {
    actions: [
      'iot:ListAttachedPolicies',
      'iot:ListAuditTasks',
      'iot:DescribeAuditTask',
      'iot:ListAuditFindings',
      'iot:StartOnDemandAuditTask',
    ],
    resource: 'any',
  },
];
