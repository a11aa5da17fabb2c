import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../infra/settings.ts';
import {
  cfnArn,
  functionBaseStatements,
  functionStatements,
  getAtt,
  logicalId,
  REMOVE_CERTIFICATE_STATEMENTS,
  ref,
  useSynthesis,
} from './helpers/synth.ts';

const s = useSynthesis({ 'recert:oldCertificateGraceDays': '7' }, { validate: false });

const fnOf = (id: 'retired-certificate-sweeper' | 'retire-certificate') =>
  s.stack.workflowFunctions.functions[id];

describe('retired-certificate sweeper', () => {
  it('may query and delete the #retired entries of the campaign table (no campaign item) and delete, describe and detach certificates; nothing else', () => {
    expect(functionStatements(s, 'retired-certificate-sweeper')).toEqual([
      ...functionBaseStatements(s, 'retired-certificate-sweeper'),
      {
        Action: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#retired'] } },
        Effect: 'Allow',
        Resource: getAtt(logicalId(s.stack.campaignTable.table)),
      },
      {
        Action: [
          'iot:DescribeCertificate',
          'iot:ListPrincipalThings',
          'iot:DetachThingPrincipal',
          'iot:DetachPolicy',
          'iot:DeleteCertificate',
        ],
        Effect: 'Allow',
        Resource: cfnArn('iot', 'cert/*'),
      },
      // The reference lists no resource type for ListAttachedPolicies: `*`.
      { Action: 'iot:ListAttachedPolicies', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('runs every 15 minutes from an EventBridge schedule, and is not retried (the next run resumes)', () => {
    // Act
    const rules = Object.values(s.template.findResources('AWS::Events::Rule')).filter(
      (r) => r.Properties.ScheduleExpression !== undefined,
    );

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: getAtt(logicalId(fnOf('retired-certificate-sweeper'))),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      ],
    });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(logicalId(fnOf('retired-certificate-sweeper'))),
      Principal: 'events.amazonaws.com',
    });
  });

  it('gets the campaign table and its default pacing: 2 deletes per second, 840 s of its 900 s timeout', () => {
    const fn =
      s.template.findResources('AWS::Lambda::Function')[logicalId(fnOf('retired-certificate-sweeper'))];
    expect(fn?.Properties.Timeout).toBe(900);
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      CAMPAIGN_TABLE_NAME: ref(logicalId(s.stack.campaignTable.table)),
      SWEEP_DELETES_PER_SECOND: '2',
      SWEEP_BUDGET_SECONDS: '840',
    });
  });
});

describe('retire-certificate', () => {
  it('may put the "delete after" entry in the #retired partition and count the rotation in the campaign table, besides removing the old certificate; nothing else', () => {
    const rotationTable = getAtt(logicalId(s.stack.table.table));
    expect(functionStatements(s, 'retire-certificate')).toEqual([
      ...functionBaseStatements(s, 'retire-certificate'),
      { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: rotationTable },
      ...REMOVE_CERTIFICATE_STATEMENTS,
      {
        Action: 'dynamodb:PutItem',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#retired'] } },
        Effect: 'Allow',
        Resource: getAtt(logicalId(s.stack.campaignTable.table)),
      },
      // The completed rotation counts as succeeded in its campaign (its X# item and the META counters).
      {
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Resource: getAtt(logicalId(s.stack.campaignTable.table)),
      },
    ]);
  });

  it('knows the grace period and the campaign table', () => {
    const fn = s.template.findResources('AWS::Lambda::Function')[logicalId(fnOf('retire-certificate'))];
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      OLD_CERTIFICATE_GRACE_DAYS: '7',
      CAMPAIGN_TABLE_NAME: ref(logicalId(s.stack.campaignTable.table)),
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged on the sweeper, its schedule or the campaign table grants', () => {
    const mine = s.findings.filter((f) =>
      f.paths.some((p) => /retired-certificate-sweeper|retire-certificate|Schedules/.test(p)),
    );
    expect(mine).toEqual([]);
  });
});

describe('the sweeper rate setting', () => {
  const contextOf = (values: Record<string, unknown>) => (key: string) => values[key];

  it('reads recert:sweepDeletesPerSecond (2 by default), for a raised DeleteCertificate quota', () => {
    expect(settingsFromContext(contextOf({})).sweepDeletesPerSecond).toBe(2);
    expect(
      settingsFromContext(contextOf({ 'recert:sweepDeletesPerSecond': '5' })).sweepDeletesPerSecond,
    ).toBe(5);
  });

  it('refuses a rate of zero, naming the key', () => {
    expect(() => settingsFromContext(contextOf({ 'recert:sweepDeletesPerSecond': '0' }))).toThrow(
      /sweepDeletesPerSecond/,
    );
  });
});
