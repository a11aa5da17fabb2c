import { describe, expect, it } from 'vitest';
import { CAMPAIGN_STACK_OUTPUTS, STACK_OUTPUTS as CLI_OUTPUTS } from '../../cli/target/aws-target.ts';
import { STACK_OUTPUTS as INFRA_OUTPUTS } from '../../infra/stack.ts';

// The CLI keeps its own copy of the output names so that it never loads the CDK; this keeps the
// copy and the deployed stack from drifting apart.
describe('stack outputs', () => {
  it('the CLI reads exactly the outputs the CDK stack writes', () => {
    expect(CLI_OUTPUTS).toEqual({
      stateMachineArn: INFRA_OUTPUTS.stateMachineArn,
      rotationTableName: INFRA_OUTPUTS.tableName,
      escalationTopicArn: INFRA_OUTPUTS.escalationTopicArn,
      auditTopicArn: INFRA_OUTPUTS.auditTopicArn,
      region: INFRA_OUTPUTS.region,
    });
  });

  it('the CLI reads the campaign outputs under the names the CDK stack gives them', () => {
    expect(CAMPAIGN_STACK_OUTPUTS).toEqual({
      campaignTableName: INFRA_OUTPUTS.campaignTableName,
      campaignStateMachineArn: INFRA_OUTPUTS.campaignStateMachineArn,
    });
  });
});
