/** Hand-worked IoT authorizations: what AWS IoT authorizes recert's calls as. */
import { describe, expect, it } from 'vitest';
import {
  type IotOperationInput,
  OperationInputError,
  requiredPermissions,
  UnknownOperationError,
} from '../../../local/iam/operations/index.ts';

const SCOPE = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' } as const;
const CERT_ID = '9f'.repeat(32);
const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`;

const request = (parts: Partial<IotOperationInput>): IotOperationInput => ({
  pathParams: {},
  query: new URLSearchParams(),
  headers: {},
  body: undefined,
  ...parts,
});

describe('IoT operations', () => {
  it('AttachPolicy to a certificate is iot:AttachPolicy on the certificate', () => {
    // Prepare
    const input = request({ pathParams: { policyName: 'recert-device' }, body: { target: CERT_ARN } });
    // Act
    const requests = requiredPermissions('iot', 'AttachPolicy', input, SCOPE);
    // Assess
    expect(requests).toEqual([{ action: 'iot:AttachPolicy', resource: CERT_ARN, context: {} }]);
  });

  it('AttachPolicy to a thing group is iot:AttachPolicy on the thing group', () => {
    // Prepare
    const group = 'arn:aws:iot:eu-west-1:123456789012:thinggroup/line-7';
    const input = request({ pathParams: { policyName: 'recert-device' }, body: { target: group } });
    // Act
    const requests = requiredPermissions('iot', 'AttachPolicy', input, SCOPE);
    // Assess
    expect(requests).toEqual([{ action: 'iot:AttachPolicy', resource: group, context: {} }]);
  });

  it('AttachThingPrincipal is on the principal, with the thing as iot:thingArn', () => {
    // Prepare
    const input = request({ pathParams: { thingName: 'dev-1' }, headers: { 'x-amzn-principal': CERT_ARN } });
    // Act
    const requests = requiredPermissions('iot', 'AttachThingPrincipal', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'iot:AttachThingPrincipal',
        resource: CERT_ARN,
        context: { 'iot:thingArn': 'arn:aws:iot:eu-west-1:123456789012:thing/dev-1' },
      },
    ]);
  });

  it('DescribeCertificate is on the certificate ARN built from the id', () => {
    // Prepare
    const input = request({ pathParams: { certificateId: CERT_ID } });
    // Act
    const requests = requiredPermissions('iot', 'DescribeCertificate', input, SCOPE);
    // Assess
    expect(requests).toEqual([{ action: 'iot:DescribeCertificate', resource: CERT_ARN, context: {} }]);
  });

  it.each([
    ['CreateCertificateFromCsr', 'iot:CreateCertificateFromCsr'],
    ['ListAttachedPolicies', 'iot:ListAttachedPolicies'],
    ['ListAuditFindings', 'iot:ListAuditFindings'],
    ['DescribeEndpoint', 'iot:DescribeEndpoint'],
  ])('%s is %s on *', (operation, action) => {
    // Prepare: ListAttachedPolicies names its target, which the reference does not authorize on.
    const input = request({ pathParams: { target: CERT_ARN }, body: {} });
    // Act
    const requests = requiredPermissions('iot', operation, input, SCOPE);
    // Assess
    expect(requests).toEqual([{ action, resource: '*', context: {} }]);
  });

  it('data-plane Publish to a topic with slashes is iot:Publish on topic/<the whole topic>', () => {
    // Prepare: the route table decodes the label, slashes included.
    const input = request({
      pathParams: { topic: 'recert/v1/dev-1/crt' },
      query: new URLSearchParams('qos=1'),
    });
    // Act
    const requests = requiredPermissions('iotdata', 'Publish', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'iot:Publish',
        resource: 'arn:aws:iot:eu-west-1:123456789012:topic/recert/v1/dev-1/crt',
        context: {},
      },
    ]);
  });

  it('a retained Publish also needs iot:RetainPublish on the topic', () => {
    // Prepare
    const input = request({
      pathParams: { topic: 'recert/state' },
      query: new URLSearchParams('retain=true'),
    });
    // Act
    const actions = requiredPermissions('iot', 'Publish', input, SCOPE).map((r) => r.action);
    // Assess
    expect(actions).toEqual(['iot:Publish', 'iot:RetainPublish']);
  });

  it('CreateTopicRule passes the roles its actions assume', () => {
    // Prepare
    const role = 'arn:aws:iam::123456789012:role/recert-rule-errors';
    const body = {
      sql: "SELECT * FROM 'recert/+/reply'",
      actions: [{ lambda: { functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:reply' } }],
      errorAction: { cloudwatchLogs: { logGroupName: 'errors', roleArn: role } },
    };
    const input = request({ pathParams: { ruleName: 'recert_reply' }, body });
    // Act
    const requests = requiredPermissions('iot', 'CreateTopicRule', input, SCOPE);
    // Assess
    expect(requests).toEqual([
      {
        action: 'iot:CreateTopicRule',
        resource: 'arn:aws:iot:eu-west-1:123456789012:rule/recert_reply',
        context: {},
      },
      { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'iot.amazonaws.com' } },
    ]);
  });

  it('an unmapped operation throws UnknownOperationError, and iotdata knows only the data plane', () => {
    // Act / Assess
    expect(() => requiredPermissions('iot', 'CreateJob', request({}), SCOPE)).toThrow(UnknownOperationError);
    expect(() =>
      requiredPermissions(
        'iotdata',
        'DescribeCertificate',
        request({ pathParams: { certificateId: CERT_ID } }),
        SCOPE,
      ),
    ).toThrow(UnknownOperationError);
  });

  it('AttachPolicy without a target, or a principal call without the header, is an OperationInputError', () => {
    // Act / Assess
    expect(() =>
      requiredPermissions(
        'iot',
        'AttachPolicy',
        request({ pathParams: { policyName: 'p' }, body: {} }),
        SCOPE,
      ),
    ).toThrow(OperationInputError);
    expect(() => requiredPermissions('iot', 'ListPrincipalThings', request({}), SCOPE)).toThrow(
      OperationInputError,
    );
  });
});
