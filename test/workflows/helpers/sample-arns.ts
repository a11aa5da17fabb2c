import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  type ResourceArns,
} from '../../../workflows/access/identity-policies.ts';

const byFunction = (arn: (fid: DeployedFunctionId) => string) =>
  Object.fromEntries(DEPLOYED_FUNCTION_IDS.map((fid) => [fid, arn(fid)])) as Record<
    DeployedFunctionId,
    string
  >;

/** A deployment's resources as AWS would name them, for checking ARNs against the reference. */
export const SAMPLE_ARNS: ResourceArns = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '123456789012',
  rotationTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Recert-RotationsTable01937F80-1A2B3C',
  campaignTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Recert-CampaignsTable1934312B-4D5E6F',
  stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-rotate-device',
  stateMachineName: 'recert-rotate-device',
  campaignStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-campaign',
  campaignStateMachineName: 'recert-campaign',
  escalationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:Recert-TopicsEscalationTopic-AbC123',
  auditTopicArn: 'arn:aws:sns:eu-west-1:123456789012:Recert-TopicsAuditTopic-DeF456',
  topicKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  functionArns: byFunction((fid) => `arn:aws:lambda:eu-west-1:123456789012:function:Recert-${fid}-AbC123`),
  functionLogGroupArns: byFunction(
    (fid) => `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/Recert-${fid}-AbC123:*`,
  ),
  topicRuleErrorLogGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:Recert-TopicRulesErrors-GhI789:*',
  stackName: 'Recert',
  privateCaArn:
    'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555',
};
