/**
 * The contract of the rotate-device workflow, as plain data that `infra/` (the CDK app) and
 * `local/` (the embedded AWS) both read, so the cloud and the local run cannot drift apart:
 * - the definition file and every placeholder's binding (`PLACEHOLDERS`, `renderDefinition`,
 *   `bakeSettings` for CloudFormation DefinitionSubstitutions);
 * - the functions (`FUNCTIONS`): entry, trigger, environment, AWS actions;
 * - the rotation table (`ROTATION_TABLE`) and the IoT topic rules (`TOPIC_RULES`);
 * - the input and output of an execution (`RotationInput`, `RotationOutput`), the settings and
 *   their defaults (`SETTINGS`), the named errors (`ERROR_NAMES`, `CSR_REJECTION_NAMES`);
 * - the device protocol (`./protocol.ts`).
 */
export * from './errors.ts';
export * from './functions.ts';
export * from './naming.ts';
export * from './placeholders.ts';
export * from './render.ts';
export * from './rules.ts';
export * from './settings.ts';
export * from './table.ts';
export * from './types.ts';

/** Standard workflow (it waits for task tokens, which Express cannot). */
export const STATE_MACHINE = {
  name: 'recert-rotate-device',
  type: 'STANDARD',
  queryLanguage: 'JSONata',
  /** Events the outcome recorder subscribes to (EventBridge pattern). */
  statusChangeEventPattern: {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    // The endings that are recorded, escalated and counted as failed. SUCCEEDED is not routed: the
    // retire step, the execution's last state, completes the record and counts it in its campaign.
    detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
  },
} as const;
