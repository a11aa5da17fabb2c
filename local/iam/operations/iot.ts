/**
 * What AWS IoT authorizes each operation as (Service Authorization Reference): the action, the ARN built from
 * the request and the condition keys it settles; control plane, rules, audit and Publish share `iot`.
 */
import type { AuthorizationRequest } from '../types.ts';
import {
  arn,
  arrayField,
  authorize,
  OperationInputError,
  type OperationMapping,
  type OperationScope,
  passRole,
  permissionsOf,
  recordField,
  roleArnsIn,
  stringField,
  tagContext,
  UnknownOperationError,
  wildcard,
} from './shared.ts';

/** A routed restJson1 request, as the IoT server's route table parses it (`RestRequest` fits). */
export interface IotOperationInput {
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-case header names; `x-amzn-principal` carries the principal of the thing-principal calls. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

type Mapping = OperationMapping<IotOperationInput>;

const IOT_SERVICE_PRINCIPAL = 'iot.amazonaws.com';

const iotArn = (scope: OperationScope, resource: string): string => arn(scope, 'iot', resource);

function label(input: IotOperationInput, name: string, operation: string): string {
  const value = input.pathParams[name];
  if (value === undefined || value === '')
    throw new OperationInputError('iot', operation, `${name} is required`);
  return value;
}

function principalHeader(input: IotOperationInput, operation: string): string {
  const raw = input.headers?.['x-amzn-principal'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') {
    throw new OperationInputError('iot', operation, 'the x-amzn-principal header is required');
  }
  return value;
}

function bodyTarget(input: IotOperationInput, operation: string): string {
  const target = stringField(input.body, 'target');
  if (target === undefined) throw new OperationInputError('iot', operation, 'target is required');
  return target;
}

/** An action on the resource `<type>/<label>` named by one path label. */
const onLabel =
  (action: string, type: string, name: string): Mapping =>
  (input, scope, operation) => [authorize(action, iotArn(scope, `${type}/${label(input, name, operation)}`))];

/** A create that tags: the tags in its body are the request's aws:RequestTag context. */
const onLabelTagged =
  (action: string, type: string, name: string): Mapping =>
  (input, scope, operation) => [
    authorize(
      action,
      iotArn(scope, `${type}/${label(input, name, operation)}`),
      tagContext(arrayField(input.body, 'tags')),
    ),
  ];

/**
 * AttachPolicy/DetachPolicy authorize on the target itself: a certificate or thing group ARN
 * (AWS names a Cognito identity target verbatim as the resource too).
 */
const onTarget =
  (action: string): Mapping =>
  (input, _scope, operation) => [authorize(action, bodyTarget(input, operation))];

/** Attach/DetachThingPrincipal authorize on the principal, with the thing as `iot:thingArn`. */
const onThingPrincipal =
  (action: string): Mapping =>
  (input, scope, operation) => [
    authorize(action, principalHeader(input, operation), {
      'iot:thingArn': iotArn(scope, `thing/${label(input, 'thingName', operation)}`),
    }),
  ];

/** Topic rules: the rule, plus `iam:PassRole` for every role its actions will assume. */
const onRule =
  (action: string): Mapping =>
  (input, scope, operation) => [
    authorize(action, iotArn(scope, `rule/${label(input, 'ruleName', operation)}`)),
    ...[...roleArnsIn(input.body)].map((role) => passRole(role, IOT_SERVICE_PRINCIPAL)),
  ];

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  // Things.
  CreateThing: (input, scope, operation) => {
    const thing = onLabel('iot:CreateThing', 'thing', 'thingName')(input, scope, operation);
    // The reference also lists the billing group, which a CreateThing naming one is authorized on.
    const billingGroup = stringField(input.body, 'billingGroupName');
    return billingGroup === undefined
      ? thing
      : [...thing, authorize('iot:CreateThing', iotArn(scope, `billinggroup/${billingGroup}`))];
  },
  DescribeThing: onLabel('iot:DescribeThing', 'thing', 'thingName'),
  ListThings: wildcard('iot:ListThings'),
  DeleteThing: onLabel('iot:DeleteThing', 'thing', 'thingName'),

  // Policies and their attachments.
  CreatePolicy: onLabelTagged('iot:CreatePolicy', 'policy', 'policyName'),
  GetPolicy: onLabel('iot:GetPolicy', 'policy', 'policyName'),
  ListPolicies: wildcard('iot:ListPolicies'),
  DeletePolicy: onLabel('iot:DeletePolicy', 'policy', 'policyName'),
  AttachPolicy: onTarget('iot:AttachPolicy'),
  DetachPolicy: onTarget('iot:DetachPolicy'),
  // The IoT guide names the target, but the reference gives this action no resource type: `*`.
  ListAttachedPolicies: wildcard('iot:ListAttachedPolicies'),
  ListTargetsForPolicy: onLabel('iot:ListTargetsForPolicy', 'policy', 'policyName'),

  // Certificates.
  CreateKeysAndCertificate: wildcard('iot:CreateKeysAndCertificate'),
  CreateCertificateFromCsr: wildcard('iot:CreateCertificateFromCsr'),
  GetRegistrationCode: wildcard('iot:GetRegistrationCode'),
  RegisterCACertificate: (input) => {
    const role = stringField(recordField(input.body, 'registrationConfig'), 'roleArn');
    return [
      authorize('iot:RegisterCACertificate', '*', tagContext(arrayField(input.body, 'tags'))),
      ...(role === undefined ? [] : [passRole(role, IOT_SERVICE_PRINCIPAL)]),
    ];
  },
  DescribeCACertificate: onLabel('iot:DescribeCACertificate', 'cacert', 'certificateId'),
  ListCACertificates: wildcard('iot:ListCACertificates'),
  UpdateCACertificate: onLabel('iot:UpdateCACertificate', 'cacert', 'certificateId'),
  DeleteCACertificate: onLabel('iot:DeleteCACertificate', 'cacert', 'certificateId'),
  RegisterCertificate: wildcard('iot:RegisterCertificate'),
  RegisterCertificateWithoutCA: wildcard('iot:RegisterCertificateWithoutCA'),
  DescribeCertificate: onLabel('iot:DescribeCertificate', 'cert', 'certificateId'),
  ListCertificates: wildcard('iot:ListCertificates'),
  UpdateCertificate: onLabel('iot:UpdateCertificate', 'cert', 'certificateId'),
  DeleteCertificate: onLabel('iot:DeleteCertificate', 'cert', 'certificateId'),

  // Thing principals.
  AttachThingPrincipal: onThingPrincipal('iot:AttachThingPrincipal'),
  DetachThingPrincipal: onThingPrincipal('iot:DetachThingPrincipal'),
  ListThingPrincipals: onLabel('iot:ListThingPrincipals', 'thing', 'thingName'),
  ListPrincipalThings: (input, _scope, operation) => [
    authorize('iot:ListPrincipalThings', principalHeader(input, operation)),
  ],

  DescribeEndpoint: wildcard('iot:DescribeEndpoint'),

  // Data plane: a retained publish also needs iot:RetainPublish on the same topic.
  Publish: (input, scope, operation) => {
    const topic = iotArn(scope, `topic/${label(input, 'topic', operation)}`);
    const retain = input.query.get('retain') === 'true';
    return [authorize('iot:Publish', topic), ...(retain ? [authorize('iot:RetainPublish', topic)] : [])];
  },

  // Topic rules.
  CreateTopicRule: onRule('iot:CreateTopicRule'),
  ReplaceTopicRule: onRule('iot:ReplaceTopicRule'),
  GetTopicRule: onLabel('iot:GetTopicRule', 'rule', 'ruleName'),
  ListTopicRules: wildcard('iot:ListTopicRules'),
  DeleteTopicRule: onLabel('iot:DeleteTopicRule', 'rule', 'ruleName'),

  // Device Defender audit: the reference scopes only scheduled audits.
  UpdateAccountAuditConfiguration: (input) => [
    authorize('iot:UpdateAccountAuditConfiguration', '*'),
    ...[...roleArnsIn(input.body)].map((role) => passRole(role, IOT_SERVICE_PRINCIPAL)),
  ],
  DescribeAccountAuditConfiguration: wildcard('iot:DescribeAccountAuditConfiguration'),
  StartOnDemandAuditTask: wildcard('iot:StartOnDemandAuditTask'),
  DescribeAuditTask: wildcard('iot:DescribeAuditTask'),
  ListAuditTasks: wildcard('iot:ListAuditTasks'),
  ListAuditFindings: wildcard('iot:ListAuditFindings'),
  CreateScheduledAudit: onLabelTagged('iot:CreateScheduledAudit', 'scheduledaudit', 'scheduledAuditName'),
  DescribeScheduledAudit: onLabel('iot:DescribeScheduledAudit', 'scheduledaudit', 'scheduledAuditName'),
  ListScheduledAudits: wildcard('iot:ListScheduledAudits'),
  DeleteScheduledAudit: onLabel('iot:DeleteScheduledAudit', 'scheduledaudit', 'scheduledAuditName'),
};

/** Every operation of the local IoT server (control plane, rules, audit, data plane) that is mapped. */
export const IOT_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

/** The data plane's operations: the `iotdata` SDK client's calls, served by the same server. */
export const IOT_DATA_OPERATIONS: readonly string[] = Object.freeze(['Publish']);

export const iotPermissions = permissionsOf(MAPPINGS, 'iot');

/** The data plane alone: a control-plane operation named as `iotdata` is unknown there. */
export function iotDataPermissions(
  operation: string,
  input: IotOperationInput,
  scope: OperationScope,
): readonly AuthorizationRequest[] {
  if (!IOT_DATA_OPERATIONS.includes(operation)) throw new UnknownOperationError('iotdata', operation);
  return iotPermissions(operation, input, scope);
}
