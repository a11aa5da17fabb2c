import { beforeAll, describe, expect, it } from 'vitest';
import {
  IDENTITY_IDS,
  identityManagedPolicies,
  identityStatements,
} from '../../workflows/access/identity-policies.ts';
import {
  cdkOwnStatements,
  deployedStatements,
  identityRoleIds,
  normalise,
  PLACEHOLDER,
  placeholderArns,
  resolve,
  rolesUnder,
  type TemplateJson,
} from './helpers/identity-template.ts';
import { logicalId, useSynthesis } from './helpers/synth.ts';

const s = useSynthesis({}, { validate: false });
let template: TemplateJson;

beforeAll(() => {
  template = s.template.toJSON() as TemplateJson;
}, 180_000);

describe('every role the stack deploys has exactly its identity statements', () => {
  it.each(
    IDENTITY_IDS.filter((id) => id !== 'operator'),
  )('%s: the contract statements, in order, plus only what CDK adds on its own', (id) => {
    // Prepare
    const expected = identityStatements(id, placeholderArns(s), { issuer: 'aws-iot' }).map(normalise);

    // Act
    const { own, rest } = deployedStatements(s, id);

    // Assess
    expect(rest).toEqual(expected);
    expect(own).toEqual(cdkOwnStatements(id));
  });

  it('the audit role carries exactly the managed policies the contract names', () => {
    const role = template.Resources[logicalId(s.stack.audit.auditRole)]?.Properties as {
      ManagedPolicyArns?: unknown[];
    };
    expect(resolve(template, role.ManagedPolicyArns)).toEqual(
      identityManagedPolicies('device-defender:audit').map(
        (name) => `arn:${PLACEHOLDER.partition}:iam::aws:policy/${name}`,
      ),
    );
  });

  it('no other role has a managed policy', () => {
    for (const [roleId, identity] of identityRoleIds(s)) {
      if (identity === 'device-defender:audit') continue;
      const props = template.Resources[roleId]?.Properties as { ManagedPolicyArns?: unknown };
      expect(props.ManagedPolicyArns, identity).toBeUndefined();
    }
  });

  it('every other role in the template belongs to a deploy-time custom resource', () => {
    // Prepare
    const identities = identityRoleIds(s);
    const lookup = s.stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    const deployTime = new Set(rolesUnder(s.stack, [s.stack.audit, ...(lookup ? [lookup] : [])]));

    // Act
    const others = Object.entries(template.Resources)
      .filter(([rid, r]) => r.Type === 'AWS::IAM::Role' && !identities.has(rid))
      .map(([rid]) => rid);

    // Assess
    expect(others.filter((rid) => !deployTime.has(rid))).toEqual([]);
    expect(identities.size).toBe(IDENTITY_IDS.length - 1);
  });
});

describe('the operator managed policy', () => {
  it("is the operator's statements, output for the administrator who attaches it", () => {
    // Prepare
    const id = logicalId(s.stack.operatorPolicy);
    const policy = template.Resources[id]?.Properties as { PolicyDocument: { Statement: unknown[] } };
    const expected = identityStatements('operator', placeholderArns(s), { issuer: 'aws-iot' }).map(normalise);

    // Act
    const statements = policy.PolicyDocument.Statement.map((st) => normalise(resolve(template, st)));

    // Assess
    expect(statements).toEqual(expected);
    s.template.hasOutput('OperatorPolicyArn', { Value: { Ref: id } });
  });

  it('is attached to nobody by the stack: an administrator chooses who runs recert', () => {
    const props = template.Resources[logicalId(s.stack.operatorPolicy)]?.Properties as Record<
      string,
      unknown
    >;
    expect(props.Roles ?? props.Users ?? props.Groups).toBeUndefined();
  });
});
