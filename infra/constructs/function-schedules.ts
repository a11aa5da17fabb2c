import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';

/**
 * One EventBridge rule per `schedule`-triggered function of the contract, at its rate; a failed run is not
 * retried, the next one picks up where it stopped.
 */
export class FunctionSchedules extends Construct {
  readonly rules: Readonly<Partial<Record<FunctionId, events.Rule>>>;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly functions: Readonly<Record<FunctionId, lambda.IFunction>> },
  ) {
    super(scope, id);
    const rules: Partial<Record<FunctionId, events.Rule>> = {};
    for (const spec of Object.values(FUNCTIONS)) {
      const trigger = spec.trigger;
      if (trigger.kind !== 'schedule') continue;
      rules[spec.id] = new events.Rule(this, spec.id, {
        description: `recert: runs ${spec.id} every ${trigger.rateMinutes} minutes`,
        schedule: events.Schedule.rate(Duration.minutes(trigger.rateMinutes)),
        targets: [new targets.LambdaFunction(props.functions[spec.id], { retryAttempts: 0 })],
      });
    }
    this.rules = rules;
  }
}
