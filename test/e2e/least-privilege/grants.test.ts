/**
 * The least-privilege tables against the deployed policies: every grant of every function, both
 * state machines and Device Defender's notification role is removed by a case, or named with the
 * reason no scenario here exercises it; and every row names a grant that exists. A grant added to
 * the contract fails this until someone shows where its loss surfaces.
 */
import { describe, expect, it } from 'vitest';
import { localResourceArns } from '../../../local/stack/identities.ts';
import {
  IDENTITY_IDS,
  type IdentityId,
  identityStatements,
} from '../../../workflows/access/identity-policies.ts';
import {
  CAMPAIGN_CASES,
  FAIL_AT_REQUEST,
  GRACE_CASES,
  NOT_EXERCISED,
  RECORDER_CASES,
  ROTATION_STEP_CASES,
  RULE_CASES,
} from './cases.ts';
import { withoutAction } from './harness.ts';

/** Who the tables must account for: not the operator (a person) nor the roles with no statement of ours. */
const CHECKED: readonly IdentityId[] = IDENTITY_IDS.filter(
  (id) =>
    id.startsWith('function:') || id.startsWith('state-machine:') || id === 'device-defender:notifications',
);

const ARNS = localResourceArns(
  'us-east-1',
  '000000000000',
  { arnOf: (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}` },
  undefined,
);

interface Grant {
  readonly identity: IdentityId;
  readonly action: string;
  readonly resources: readonly string[];
}

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/** Each action of each Allow statement, with the statement's resources. */
function grantsOf(identity: IdentityId): Grant[] {
  return identityStatements(identity, ARNS, { issuer: 'aws-iot' }).flatMap((statement) =>
    statement.Effect === 'Allow'
      ? list(statement.Action).map((action) => ({ identity, action, resources: list(statement.Resource) }))
      : [],
  );
}

interface Row {
  readonly identity: IdentityId;
  readonly action: string;
  readonly onResource?: string;
}

const covers = (row: Row, grant: Grant): boolean =>
  row.identity === grant.identity &&
  row.action === grant.action &&
  (row.onResource === undefined || grant.resources.some((r) => r.includes(row.onResource ?? '')));

const CASES: readonly Row[] = [
  ...ROTATION_STEP_CASES,
  ...RULE_CASES,
  ...RECORDER_CASES,
  ...CAMPAIGN_CASES,
  ...GRACE_CASES,
  FAIL_AT_REQUEST,
];

describe('the least-privilege tables', () => {
  const grants = CHECKED.flatMap(grantsOf);

  it('remove, or say why they leave alone, every grant of every function and state machine', () => {
    const unaccounted = grants.filter(
      (grant) => ![...CASES, ...NOT_EXERCISED].some((row) => covers(row, grant)),
    );
    expect(unaccounted.map((g) => `${g.identity} ${g.action} on ${g.resources.join(', ')}`)).toEqual([]);
  });

  it('name only grants that exist, each in one place', () => {
    const rows: readonly (Row & { where: string })[] = [
      ...CASES.map((row) => ({ ...row, where: 'case' })),
      ...NOT_EXERCISED.map((row) => ({ ...row, where: 'not exercised' })),
    ];
    for (const row of rows) {
      const documents = [
        {
          Version: '2012-10-17' as const,
          Statement: identityStatements(row.identity, ARNS, { issuer: 'aws-iot' }),
        },
      ];
      // Throws when no statement grants the action (on that resource).
      expect(
        () => withoutAction(documents, row.action, row.onResource),
        `${row.where}: ${row.identity} ${row.action}`,
      ).not.toThrow();
    }
    // A grant is either removed by a case or explained, not both.
    const explained = NOT_EXERCISED;
    const both = grants.filter(
      (grant) => CASES.some((row) => covers(row, grant)) && explained.some((row) => covers(row, grant)),
    );
    expect(both.map((g) => `${g.identity} ${g.action} on ${g.resources.join(', ')}`)).toEqual([]);
  });
});
