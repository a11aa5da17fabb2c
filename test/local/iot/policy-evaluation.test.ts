import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches } from '../../../local/glob.ts';
import { parsePolicyDocument } from '../../../local/iot/policy/document.ts';
import { isAllowed, resourceArn } from '../../../local/iot/policy/evaluate.ts';
import { isValidTopicFilter, topicMatchesFilter } from '../../../local/iot/policy/topic-filter.ts';
import type { PolicyContext } from '../../../local/iot/policy/variables.ts';

const where = { region: 'us-east-1', accountId: '000000000000' };
const level = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((levels) => levels.join('/'));

const policy = (
  ...statements: Array<{ Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: string | string[] }>
) => parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }));

const ctx = (clientId: string, thingName?: string): PolicyContext => ({
  clientId,
  certificateId: 'c'.repeat(64),
  ...(thingName === undefined ? {} : { thing: { thingName, attributes: {} } }),
});

describe('MQTT topic filter matching', () => {
  it('matches a topic against itself, against + in any level and against a # suffix at any depth', () => {
    fc.assert(
      fc.property(
        topic,
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.nat(6),
        (t, plus, cut) => {
          const levels = t.split('/');
          const withPlus = levels.map((l, i) => (plus[i] ? '+' : l)).join('/');
          const withHash = [...levels.slice(0, Math.min(cut, levels.length)), '#'].join('/');
          expect(topicMatchesFilter(t, t)).toBe(true);
          expect(isValidTopicFilter(withPlus)).toBe(true);
          expect(topicMatchesFilter(withPlus, t)).toBe(true);
          expect(topicMatchesFilter(withHash, t)).toBe(true);
        },
      ),
    );
  });

  it('does not match when a literal level differs or the level count differs without #', () => {
    fc.assert(
      fc.property(topic, fc.nat(5), level, (t, at, other) => {
        const levels = t.split('/');
        const i = at % levels.length;
        fc.pre(levels[i] !== other);
        const changed = levels.map((l, j) => (j === i ? other : l)).join('/');
        expect(topicMatchesFilter(changed, t)).toBe(false);
        expect(topicMatchesFilter(`${t}/+`, t)).toBe(false);
        expect(topicMatchesFilter(`${t}/x`, t)).toBe(false);
      }),
    );
  });

  it('keeps $ topics out of leading wildcards and rejects malformed filters', () => {
    // Act / Assess
    expect(topicMatchesFilter('#', '$aws/events/presence/connected/a')).toBe(false);
    expect(topicMatchesFilter('+/events/#', '$aws/events/x')).toBe(false);
    expect(topicMatchesFilter('$aws/events/presence/+/a', '$aws/events/presence/connected/a')).toBe(true);
    expect(topicMatchesFilter('a/#', 'a')).toBe(true);
    for (const bad of ['a/#/b', 'a+/b', 'a/b#', '']) expect(isValidTopicFilter(bad)).toBe(false);
  });
});

describe('IAM-style resource patterns', () => {
  it('agree with a reference regex for * and ? on any small pattern and value', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }),
        fc.array(fc.constantFrom('a', 'b', '/'), { maxLength: 8 }),
        (p, v) => {
          const pattern = p.join('');
          const value = v.join('');
          const reference = new RegExp(`^${pattern.replace(/[*]/g, '.*').replace(/[?]/g, '.')}$`, 's');
          expect(globMatches(pattern, value)).toBe(reference.test(value));
        },
      ),
    );
  });
});

describe('policy evaluation', () => {
  it(`allows Connect only for the client id named by \${iot:ClientId}, even when it holds * or ?`, () => {
    const doc = policy({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `arn:aws:iot:*:*:client/\${iot:ClientId}`,
    });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (mine, other) => {
          fc.pre(mine !== other);
          expect(isAllowed([doc], 'iot:Connect', resourceArn(where, 'client', mine), ctx(mine))).toBe(true);
          expect(isAllowed([doc], 'iot:Connect', resourceArn(where, 'client', other), ctx(mine))).toBe(false);
        },
      ),
    );
  });

  it(`scopes topics to the attached thing through \${iot:Connection.Thing.ThingName} and refuses unattached clients`, () => {
    const doc = policy({
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: `arn:aws:iot:*:*:topic/management/topic/\${iot:Connection.Thing.ThingName}/*`,
    });
    fc.assert(
      fc.property(level, level, level, (thing, other, suffix) => {
        fc.pre(thing !== other);
        const mine = resourceArn(where, 'topic', `management/topic/${thing}/${suffix}`);
        const theirs = resourceArn(where, 'topic', `management/topic/${other}/${suffix}`);
        expect(isAllowed([doc], 'iot:Publish', mine, ctx(thing, thing))).toBe(true);
        expect(isAllowed([doc], 'iot:Publish', theirs, ctx(thing, thing))).toBe(false);
        // A client whose certificate is not attached to a thing of its name gets no thing name.
        expect(isAllowed([doc], 'iot:Publish', mine, ctx(thing))).toBe(false);
      }),
    );
  });

  it('lets an explicit Deny win over any number of Allows, in any policy order', () => {
    const allowAll = policy({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    const denyOne = policy({
      Effect: 'Deny',
      Action: 'iot:Publish',
      Resource: 'arn:aws:iot:*:*:topic/secret/*',
    });
    fc.assert(
      fc.property(fc.nat(3), level, (copies, leaf) => {
        const policies = [...Array.from({ length: copies }, () => allowAll), denyOne, allowAll];
        const secret = resourceArn(where, 'topic', `secret/${leaf}`);
        const open = resourceArn(where, 'topic', `open/${leaf}`);
        expect(isAllowed(policies, 'iot:Publish', secret, ctx('c'))).toBe(false);
        expect(isAllowed([...policies].reverse(), 'iot:Publish', secret, ctx('c'))).toBe(false);
        expect(isAllowed(policies, 'iot:Publish', open, ctx('c'))).toBe(true);
        expect(
          isAllowed(policies, 'iot:Subscribe', resourceArn(where, 'topicfilter', 'secret/#'), ctx('c')),
        ).toBe(true);
      }),
    );
  });

  it('denies by default and keeps Subscribe (topicfilter) apart from Publish (topic)', () => {
    // Prepare
    const doc = policy({
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: 'arn:aws:iot:*:*:topicfilter/a/#',
    });

    // Act / Assess
    expect(isAllowed([], 'iot:Connect', resourceArn(where, 'client', 'x'), ctx('x'))).toBe(false);
    expect(isAllowed([doc], 'iot:Subscribe', resourceArn(where, 'topicfilter', 'a/#'), ctx('x'))).toBe(true);
    expect(isAllowed([doc], 'iot:Subscribe', resourceArn(where, 'topicfilter', 'a/+'), ctx('x'))).toBe(false);
    expect(isAllowed([doc], 'iot:Publish', resourceArn(where, 'topic', 'a/#'), ctx('x'))).toBe(false);
  });

  it('honours a Bool condition on iot:Connection.Thing.IsAttached', () => {
    // Prepare
    const doc = parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: '*',
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
        ],
      }),
    );

    // Act / Assess
    expect(isAllowed([doc], 'iot:Connect', resourceArn(where, 'client', 't'), ctx('t', 't'))).toBe(true);
    expect(isAllowed([doc], 'iot:Connect', resourceArn(where, 'client', 't'), ctx('t'))).toBe(false);
  });

  it('rejects malformed documents with MalformedPolicyException naming the problem', () => {
    // Act / Assess
    expect(() => parsePolicyDocument('{')).toThrow(
      expect.objectContaining({ name: 'MalformedPolicyException' }),
    );
    expect(() =>
      parsePolicyDocument(
        JSON.stringify({ Statement: [{ Effect: 'Maybe', Action: 'iot:*', Resource: '*' }] }),
      ),
    ).toThrow(/Statement/);
    expect(() =>
      parsePolicyDocument(
        JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
      ),
    ).toThrow(/not an iot: action/);
    expect(() =>
      parsePolicyDocument(
        JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: 'x'.repeat(3000) }] }),
      ),
    ).toThrow(/exceeds 2048/);
  });
});
