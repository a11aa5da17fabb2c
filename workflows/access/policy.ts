/**
 * IAM's policy statement type, re-exported from the local AWS's access model so the contract's users need
 * not reach into `local/`; type only, so nothing of the local AWS runs in the cloud.
 */
export type { ConditionBlock, PolicyStatement } from '../../local/iam/types.ts';
