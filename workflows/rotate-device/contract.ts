/**
 * The rotate-device contract as plain data that `infra/` and `local/` both read, so cloud and local run
 * cannot drift: definition, placeholders, functions, table, topic rules, input, settings, errors, protocol.
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
