import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { campaignStateMachineArnBeside, createCampaignFunctions } from '../../functions/index.ts';
import { dynamoDbClient } from '../../functions/shared/environment.ts';
import { CAMPAIGN_FUNCTION_IDS, CAMPAIGN_FUNCTIONS } from '../../workflows/campaign/contract.ts';
import { FUNCTIONS } from '../../workflows/rotate-device/functions.ts';
import { lambdaContext } from './harness.ts';

/** The campaign functions as a deployment in us-east-1 builds them. */
const campaignHandlers = () =>
  createCampaignFunctions({
    db: dynamoDbClient(),
    campaignTableName: 'recert-campaigns',
    iot: new IoTClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device',
    region: 'us-east-1',
    logLevel: 'SILENT',
  });

describe('campaign functions wiring', () => {
  it('builds one handler per campaign function of the contract', () => {
    // Act
    const handlers = campaignHandlers();
    // Assess
    expect(Object.keys(handlers).sort()).toEqual([...CAMPAIGN_FUNCTION_IDS].sort());
  });

  it('a handler refuses an event that is not its input, naming the field', async () => {
    // Prepare
    const handlers = campaignHandlers();
    // Act / Assess
    await expect(handlers['campaign-pacer']({ campaignId: 'c1' }, lambdaContext('p'))).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('pacing'),
    });
    await expect(
      handlers['campaign-enqueue']({ campaignId: 'c1' }, lambdaContext('e')),
    ).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('source'),
    });
  });

  it('finds the campaign state machine beside the rotation one, as the stack names it', () => {
    expect(
      campaignStateMachineArnBeside(
        'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-rotate-device',
      ),
    ).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:recert-campaign');
  });

  it('the fan-out may start campaigns only, and every function that moves counters may update the campaign table', () => {
    expect(FUNCTIONS['audit-fanout'].permissions).toEqual([
      { actions: ['states:StartExecution'], resource: 'campaignStateMachine' },
    ]);
    for (const id of ['request-csr', 'device-reply', 'retire-certificate', 'outcome-recorder'] as const) {
      expect(FUNCTIONS[id].permissions).toContainEqual({
        actions: ['dynamodb:UpdateItem'],
        resource: 'campaignTable',
      });
      expect(FUNCTIONS[id].environment.map((e) => e.name)).toContain('CAMPAIGN_TABLE_NAME');
    }
    expect(CAMPAIGN_FUNCTIONS['campaign-pacer'].permissions).toContainEqual({
      actions: ['states:StartExecution'],
      resource: 'campaignStateMachine',
    });
  });
});
