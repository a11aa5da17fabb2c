import { describe, expect, it } from 'vitest';
import { IdentityStore } from '../../../local/iam/identities.ts';
import type { PolicyDocument } from '../../../local/iam/types.ts';

const ACCOUNT = '000000000000';
const readTable: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }],
};

describe('IdentityStore', () => {
  it('issues ASIARECERT keys, idempotently per role and session', () => {
    // Prepare
    const store = new IdentityStore(ACCOUNT);

    // Act
    const first = store.addRoleSession('r', 's', []);
    const again = store.addRoleSession('r', 's', [readTable]);
    const other = store.addRoleSession('r', 't', []);

    // Assess
    expect(first.accessKeyId).toMatch(/^ASIARECERT[A-Z2-7]{10}$/);
    expect(again).toEqual(first);
    expect(other.accessKeyId).not.toBe(first.accessKeyId);
    expect(store.secretOf(first.accessKeyId)).toBe(first.secretAccessKey);
    expect(store.isIssuedKey(first.accessKeyId)).toBe(true);
    expect(store.isIssuedKey('AKIAIOSFODNN7EXAMPLE')).toBe(false);
    expect(store.principalOf('ASIARECERTNOBODY0000')).toBeUndefined();
    expect(store.policiesOf('r')).toEqual([]);
  });

  it('names role sessions and the administrator as AWS does, and keeps the first session policies', () => {
    // Prepare
    const store = new IdentityStore(ACCOUNT);
    const credentials = store.addRoleSession('rotator', 'exec-1', [readTable]);
    store.addRoleSession('rotator', 'exec-2', []);

    // Act
    const principal = store.principalOf(credentials.accessKeyId);
    const admin = store.administrator('test');

    // Assess
    expect(principal?.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/rotator/exec-1`);
    expect(principal?.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/rotator`);
    expect(principal?.policies).toEqual([readTable]);
    expect(store.sessionPrincipal('rotator', 'exec-2')?.policies).toEqual([readTable]);
    expect(admin).toEqual({ arn: `arn:aws:iam::${ACCOUNT}:root`, policies: [], administrator: true });
    expect(store.administrator('AKIAOTHER')).toBe(admin);
  });
});
