import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationReference,
  arnFormatMatcher,
  loadReference,
} from '../../../local/iam/reference.ts';

/** An ARN-format variable (`$` `{Name}`), built so it is not read as a template literal. */
const v = (name: string): string => ['$', '{', name, '}'].join('');
const scope = (service: string) => `arn:${v('Partition')}:${service}:${v('Region')}:${v('Account')}`;

let reference: AuthorizationReference;

beforeAll(async () => {
  // Prepare: the services the local AWS serves (iot covers the data plane's iot:Publish too).
  reference = await loadReference([
    'iot',
    'dynamodb',
    'states',
    'sns',
    'events',
    'acm-pca',
    'lambda',
    'no-such',
  ]);
});

describe('the Service Authorization Reference view', () => {
  it('lists the resource types of an action, case-insensitively, and nothing for an unknown one', () => {
    // Act
    const describe = reference.resourceTypesOf('IOT:describecertificate');
    const attach = reference.resourceTypesOf('iot:AttachPolicy');

    // Assess
    expect(describe).toEqual([
      {
        name: 'cert',
        required: true,
        arnFormat: `${scope('iot')}:cert/${v('Certificate')}`,
      },
    ]);
    expect(attach?.map((t) => [t.name, t.required])).toEqual([
      ['cert', false],
      ['thinggroup', false],
    ]);
    expect(reference.resourceTypesOf('iot:NoSuchAction')).toBeUndefined();
    expect(reference.resourceTypesOf('no-such:Thing')).toBeUndefined();
    expect(reference.services).not.toContain('no-such');
  });

  it('gives ARN formats and the condition keys of an action', () => {
    // Act / Assess
    expect(reference.arnFormatOf('dynamodb', 'table')).toBe(`${scope('dynamodb')}:table/${v('TableName')}`);
    expect(reference.arnFormatOf('dynamodb', 'nothing')).toBeUndefined();
    expect(reference.conditionKeysOf('dynamodb:GetItem')).toContain('dynamodb:LeadingKeys');
    expect(reference.conditionKeysOf('dynamodb:NoSuch')).toBeUndefined();
  });

  it('matches ARNs against resource types, preferring the more specific type', () => {
    // Prepare
    const table = 'arn:aws:dynamodb:eu-west-1:111122223333:table/devices';
    const index = `${table}/index/by-status`;

    // Act / Assess
    expect(
      reference.arnMatchesResourceType('arn:aws:iot:eu-west-1:111122223333:cert/abc', 'iot', 'cert'),
    ).toBe(true);
    expect(
      reference.arnMatchesResourceType('arn:aws:iot:eu-west-1:111122223333:thing/abc', 'iot', 'cert'),
    ).toBe(false);
    expect(reference.arnMatchesResourceType('*', 'iot', 'cert')).toBe(false);
    expect(
      reference.arnMatchesResourceType(
        'arn:aws:iot:eu-west-1:1:topic/management/topic/x/csr_req',
        'iot',
        'topic',
      ),
    ).toBe(true);
    expect(reference.arnMatchesResourceType(table, 'dynamodb', 'table')).toBe(true);
    expect(reference.arnMatchesResourceType(index, 'dynamodb', 'index')).toBe(true);
    expect(reference.arnMatchesResourceType(index, 'dynamodb', 'table')).toBe(false);
    const machine = 'arn:aws:states:eu-west-1:1:stateMachine:rotate';
    expect(reference.arnMatchesResourceType(machine, 'states', 'stateMachine')).toBe(true);
    expect(reference.arnMatchesResourceType(`${machine}:live`, 'states', 'stateMachine')).toBe(false);
    expect(reference.arnMatchesResourceType('arn:aws:sns:eu-west-1:1:alerts', 'sns', 'topic')).toBe(true);
  });

  it('builds matchers whose variables stay within their component', () => {
    // Prepare
    const matcher = arnFormatMatcher(`${scope('svc')}:thing/${v('A')}/sub/${v('B')}`);

    // Act / Assess
    expect(matcher.test('arn:aws:svc:r:1:thing/a/sub/b/c:d')).toBe(true);
    expect(matcher.test('arn:aws:svc:r:1:thing/a/x/sub/b')).toBe(false);
    expect(matcher.test('arn:aws:svc:r:1:2:thing/a/sub/b')).toBe(false);
    expect(matcher.test('arn:aws:svc:r:1:thing/a/sub/')).toBe(false);
  });
});
