import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CAMPAIGN_FUNCTION_IDS, type CampaignFunctionId } from '../../workflows/campaign/contract.ts';
import { FUNCTION_IDS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import { REJECTION_REASONS } from '../../workflows/rotate-device/functions.ts';

/**
 * The metric device-reply counts per dropped reply (invariant 3), one per reason. The alarm leaves out
 * `duplicate`: a QoS 1 redelivery is dropped so in normal operation.
 */
export const REJECTED_REPLY_METRIC = {
  metricName: 'ReplyRejected',
  dimensionsMap: { service: 'recert', function: 'device-reply' },
  alarmReasons: REJECTION_REASONS.filter((reason) => reason !== 'duplicate'),
} as const;

export interface MonitoringProps {
  readonly stateMachine: sfn.StateMachine;
  readonly campaignStateMachine: sfn.StateMachine;
  readonly functions: Readonly<Record<FunctionId | CampaignFunctionId, lambda.IFunction>>;
  readonly table: dynamodb.TableV2;
  readonly escalationTopic: sns.ITopic;
  readonly metricsNamespace: string;
  readonly rejectedRepliesPerHour: number;
}

/** Every alarm here fires once its threshold is reached; a period without data is no breach. */
const AT_THRESHOLD = {
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
};

/**
 * An alarm on the summed Lambda throttles of `functions` (at most 10: metric math's limit), when two
 * of three periods saw one; the metrics are named `<metricPrefix><index>`.
 */
function throttlesAlarm(
  scope: Construct,
  id: string,
  p: {
    functions: readonly lambda.IFunction[];
    metricPrefix: string;
    label: string;
    alarmDescription: string;
    period: Duration;
  },
): cloudwatch.Alarm {
  const metrics: Record<string, cloudwatch.IMetric> = {};
  p.functions.forEach((fn, i) => {
    metrics[`${p.metricPrefix}${i}`] = fn.metricThrottles({ period: p.period, statistic: 'Sum' });
  });
  return new cloudwatch.MathExpression({
    label: p.label,
    expression: Object.keys(metrics).join(' + '),
    usingMetrics: metrics,
    period: p.period,
  }).createAlarm(scope, id, {
    alarmDescription: p.alarmDescription,
    threshold: 1,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    ...AT_THRESHOLD,
  });
}

/** Alarms (to the escalation topic) and one dashboard for operators. */
export class Monitoring extends Construct {
  readonly failedRotations: cloudwatch.Alarm;
  readonly rejectedReplies: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly executionThrottles: cloudwatch.Alarm;
  readonly stoppedCampaigns: cloudwatch.Alarm;
  readonly campaignFunctionThrottles: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const sm = props.stateMachine;
    const fiveMinutes = Duration.minutes(5);
    const notify = new actions.SnsAction(props.escalationTopic);

    const failed = new cloudwatch.MathExpression({
      label: 'Rotations failed, timed out or aborted',
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: sm.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
        timedOut: sm.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
        aborted: sm.metricAborted({ period: fiveMinutes, statistic: 'Sum' }),
      },
      period: fiveMinutes,
    });
    this.failedRotations = failed.createAlarm(this, 'FailedRotations', {
      alarmDescription:
        'A rotation ended FAILED, TIMED_OUT or ABORTED: see the escalation topic and redrive it from the ' +
        'Step Functions console or `recert redrive`.',
      threshold: 1,
      evaluationPeriods: 1,
      ...AT_THRESHOLD,
    });

    const rejectedBy = (reason: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName: REJECTED_REPLY_METRIC.metricName,
        dimensionsMap: { ...REJECTED_REPLY_METRIC.dimensionsMap, reason },
        statistic: 'Sum',
        period,
        label: reason,
      });
    const rejected = new cloudwatch.MathExpression({
      label: 'Device replies rejected',
      expression: REJECTED_REPLY_METRIC.alarmReasons.map((_, i) => `r${i}`).join(' + '),
      usingMetrics: Object.fromEntries(
        REJECTED_REPLY_METRIC.alarmReasons.map((reason, i) => [
          `r${i}`,
          rejectedBy(reason, Duration.hours(1)),
        ]),
      ),
      period: Duration.hours(1),
    });
    this.rejectedReplies = rejected.createAlarm(this, 'RejectedReplies', {
      alarmDescription:
        'Many device replies were dropped (wrong client id, certificate or rotationId): a misbehaving ' +
        'device or someone replaying messages. The device-reply logs name each reason.',
      threshold: props.rejectedRepliesPerHour,
      evaluationPeriods: 1,
      ...AT_THRESHOLD,
    });

    this.functionThrottles = throttlesAlarm(this, 'FunctionThrottles', {
      functions: FUNCTION_IDS.map((fid) => props.functions[fid]),
      metricPrefix: 't',
      label: 'Lambda throttles (all recert functions)',
      alarmDescription: 'recert functions were throttled: raise their concurrency or slow the fan-out.',
      period: fiveMinutes,
    });
    this.executionThrottles = sm
      .metricThrottled({ period: fiveMinutes, statistic: 'Sum' })
      .createAlarm(this, 'ExecutionThrottles', {
        alarmDescription: 'Step Functions throttled state transitions of the rotation state machine.',
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        ...AT_THRESHOLD,
      });

    // A campaign that stops starting rotations (failure rate over its threshold, or an operator's
    // stop) ends its execution FAILED at Pace with the reason as the cause. ABORTED is left out: an
    // operator who aborts a campaign execution knows.
    const campaigns = props.campaignStateMachine;
    this.stoppedCampaigns = new cloudwatch.MathExpression({
      label: 'Campaigns stopped (failed or timed out)',
      expression: 'failed + timedOut',
      usingMetrics: {
        failed: campaigns.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
        timedOut: campaigns.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
      },
      period: fiveMinutes,
    }).createAlarm(this, 'StoppedCampaigns', {
      alarmDescription:
        'A campaign stopped starting rotations: its execution ended FAILED (the cause says why, e.g. the ' +
        'failure rate passed its threshold) or TIMED_OUT. Look at the failed rotations, then resume it ' +
        'and redrive the execution.',
      threshold: 1,
      evaluationPeriods: 1,
      ...AT_THRESHOLD,
    });
    // An alarm's metric math takes at most 10 metrics: the rotation functions fill the one above.
    this.campaignFunctionThrottles = throttlesAlarm(this, 'CampaignFunctionThrottles', {
      functions: CAMPAIGN_FUNCTION_IDS.map((fid) => props.functions[fid]),
      metricPrefix: 'c',
      label: 'Lambda throttles (campaign functions)',
      alarmDescription:
        'recert campaign functions were throttled: campaigns start rotations late. Raise their concurrency.',
      period: fiveMinutes,
    });
    const alarms = [
      this.failedRotations,
      this.rejectedReplies,
      this.functionThrottles,
      this.executionThrottles,
      this.stoppedCampaigns,
      this.campaignFunctionThrottles,
    ];
    for (const alarm of alarms) alarm.addAlarmAction(notify);
    const allFunctionIds = [...FUNCTION_IDS, ...CAMPAIGN_FUNCTION_IDS];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      executionsGraph('Rotations', sm, 'Failed', 12),
      new cloudwatch.GraphWidget({
        title: 'Device replies rejected, by reason',
        left: REJECTION_REASONS.map((reason) => rejectedBy(reason, Duration.minutes(5))),
        stacked: true,
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: allFunctionIds.map((fid) =>
          props.functions[fid].metricErrors({ statistic: 'Sum', label: fid }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: allFunctionIds.map((fid) =>
          props.functions[fid].metricThrottles({ statistic: 'Sum', label: fid }),
        ),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Rotation table throttled requests',
        left: [props.table.metricThrottledRequestsForOperations({ statistic: 'Sum' })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(executionsGraph('Campaign executions', campaigns, 'Failed (stopped)', 24));
  }
}

/** A state machine's executions by how they ended, summed; `failedLabel` names its failures. */
function executionsGraph(
  title: string,
  stateMachine: sfn.IStateMachine,
  failedLabel: string,
  width: number,
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: [
      stateMachine.metricStarted({ statistic: 'Sum', label: 'Started' }),
      stateMachine.metricSucceeded({ statistic: 'Sum', label: 'Succeeded' }),
      stateMachine.metricFailed({ statistic: 'Sum', label: failedLabel }),
      stateMachine.metricTimedOut({ statistic: 'Sum', label: 'Timed out' }),
      stateMachine.metricAborted({ statistic: 'Sum', label: 'Aborted' }),
    ],
    width,
  });
}
