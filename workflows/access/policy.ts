/**
 * IAM's policy statement, as the local AWS evaluates it and CloudFormation deploys it. The type
 * lives with the local AWS's access model (`local/iam/types.ts`); it is re-exported here so the
 * contract's users need not reach into `local/`. Only the type is imported: nothing of the local
 * AWS runs in the cloud.
 */
export type { ConditionBlock, PolicyStatement } from '../../local/iam/types.ts';
