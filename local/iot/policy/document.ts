/**
 * AWS IoT policy documents: parsed once when a policy is created, with AWS's limits and a
 * MalformedPolicyException naming what is wrong.
 */
import { z } from 'zod';
import { MalformedPolicyException } from '../errors.ts';

/** AWS IoT's bound on a policy document, counted without whitespace. */
export const MAX_POLICY_CHARS = 2048;

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const conditionSchema = z.record(
  z.string(),
  z.record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())])),
);

const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: stringOrList,
    Resource: stringOrList,
    Condition: conditionSchema.optional(),
  })
  .strict();

const documentSchema = z.object({
  Version: z.enum(['2012-10-17', '2008-10-17']).optional(),
  Id: z.string().optional(),
  Statement: z.union([statementSchema, z.array(statementSchema).min(1)]),
});

export interface PolicyCondition {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: readonly PolicyCondition[];
}

export interface ParsedPolicy {
  readonly statements: readonly PolicyStatement[];
}

function asList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}

export function parsePolicyDocument(text: string): ParsedPolicy {
  if (text.replace(/\s+/g, '').length > MAX_POLICY_CHARS) {
    throw new MalformedPolicyException(
      `policy document exceeds ${MAX_POLICY_CHARS} characters (excluding whitespace)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MalformedPolicyException('policy document is not valid JSON', { cause: error });
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'document';
    throw new MalformedPolicyException(`policy document: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const statements = Array.isArray(parsed.data.Statement) ? parsed.data.Statement : [parsed.data.Statement];
  return {
    statements: statements.map((s) => {
      for (const action of asList(s.Action)) {
        if (!/^iot:[A-Za-z*?]+$/.test(action) && action !== '*') {
          throw new MalformedPolicyException(`policy document: action '${action}' is not an iot: action`);
        }
      }
      const conditions: PolicyCondition[] = [];
      for (const [operator, entries] of Object.entries(s.Condition ?? {})) {
        for (const [key, value] of Object.entries(entries)) {
          const values = Array.isArray(value) ? value : [String(value)];
          conditions.push({ operator, key, values });
        }
      }
      return { effect: s.Effect, actions: asList(s.Action), resources: asList(s.Resource), conditions };
    }),
  };
}
