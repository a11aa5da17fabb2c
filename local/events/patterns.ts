/**
 * The event pattern that routes a rotation execution ending FAILED, TIMED_OUT or ABORTED to the
 * outcome recorder: Step Functions' "Execution Status Change" events, optionally for one state machine.
 */
export function executionFailurePattern(stateMachineArn?: string): string {
  return JSON.stringify({
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: {
      status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
      ...(stateMachineArn ? { stateMachineArn: [stateMachineArn] } : {}),
    },
  });
}
