import { z } from 'zod';

/**
 * The topic rule payload as `CreateTopicRule` and `ReplaceTopicRule` send it. The local engine runs
 * the `lambda` and `republish` actions; a rule naming any other action is refused with a clear
 * message rather than accepted and silently never run.
 */
export const LambdaActionSchema = z.object({ functionArn: z.string().min(1) });
export const RepublishActionSchema = z.object({
  roleArn: z.string().min(1),
  topic: z.string().min(1),
  qos: z.union([z.literal(0), z.literal(1)]).optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
});

export const ActionSchema = z
  .object({
    lambda: LambdaActionSchema.optional(),
    republish: RepublishActionSchema.optional(),
  })
  .catchall(z.unknown())
  .superRefine((action, ctx) => {
    const kinds = Object.keys(action).filter((key) => action[key] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `an action names exactly one action type, got ${kinds.length}`,
      });
      return;
    }
    const [kind] = kinds;
    if (kind !== 'lambda' && kind !== 'republish') {
      ctx.addIssue({
        code: 'custom',
        message: `action type '${kind}' is not supported by the local rules engine (lambda and republish are)`,
      });
    }
  });
export type RuleAction = z.infer<typeof ActionSchema>;

export const SQL_VERSIONS = ['2015-10-08', '2016-03-23', 'beta'] as const;

export const TopicRulePayloadSchema = z.object({
  sql: z.string().min(1),
  description: z.string().optional(),
  actions: z.array(ActionSchema).max(10),
  ruleDisabled: z.boolean().optional(),
  awsIotSqlVersion: z.enum(SQL_VERSIONS).optional(),
  errorAction: ActionSchema.optional(),
});
export type TopicRulePayload = z.infer<typeof TopicRulePayloadSchema>;

export const RULE_NAME_PATTERN = /^[a-zA-Z0-9_]{1,128}$/;

/** A rule as stored: its name, when it was created (epoch ms) and the payload it was given. */
export const StoredRuleSchema = z.object({
  ruleName: z.string().regex(RULE_NAME_PATTERN),
  createdAt: z.number(),
  payload: TopicRulePayloadSchema,
});
export type StoredRule = z.infer<typeof StoredRuleSchema>;
