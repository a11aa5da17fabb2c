import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { STATE_MACHINE } from '../../workflows/rotate-device/contract.ts';

/**
 * The contract's status-change pattern, narrowed to this deployment's state machine, so another
 * state machine's executions in the account are never recorded as rotations.
 */
export function statusChangePattern(stateMachineArn: string): events.EventPattern {
  const pattern = STATE_MACHINE.statusChangeEventPattern;
  return {
    source: [...pattern.source],
    detailType: [...pattern['detail-type']],
    detail: { status: [...pattern.detail.status], stateMachineArn: [stateMachineArn] },
  };
}

/** Step Functions execution status changes to the outcome recorder. */
export class OutcomeEvents extends Construct {
  readonly rule: events.Rule;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly stateMachineArn: string; readonly recorder: lambda.IFunction },
  ) {
    super(scope, id);
    this.rule = new events.Rule(this, 'StatusChange', {
      description: 'recert: rotate-device executions that ended, to the outcome recorder',
      eventPattern: statusChangePattern(props.stateMachineArn),
      targets: [
        new targets.LambdaFunction(props.recorder, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
