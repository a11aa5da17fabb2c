import { SFNClient } from '@aws-sdk/client-sfn';
import type { PacingSettings } from '../../../workflows/campaign/pacing.ts';
import { lambdaClientConfig, withoutCallLogging } from '../../shared/aws-client-config.ts';
import { type RuntimeOptions, requiredEnv } from '../../shared/environment.ts';
import { lazyHandler, observabilityFor, reportingOf, wrapHandler } from '../../shared/observability.ts';
import { fanOut } from './audit-fanout.ts';
import { pacingFromEnv } from './pacing-env.ts';

export const DEFAULT_CHECKS = ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'] as const;

export interface FanoutHandlerDeps extends RuntimeOptions {
  readonly sfn: SFNClient;
  /** The campaign state machine: one campaign per audit task. */
  readonly campaignStateMachineArn: string;
  readonly checkNames?: readonly string[];
  /** The campaigns' pacing; derived from AWS's default quotas when absent. */
  readonly pacing?: PacingSettings;
}

export function createHandler(deps: FanoutHandlerDeps) {
  const observability = observabilityFor('audit-fanout', deps);
  const pacing = deps.pacing ?? pacingFromEnv({});
  return wrapHandler(observability, async (event) =>
    fanOut(event, {
      sfn: deps.sfn,
      ...reportingOf(observability),
      campaignStateMachineArn: deps.campaignStateMachineArn,
      checkNames: deps.checkNames ?? DEFAULT_CHECKS,
      pacing,
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    sfn: withoutCallLogging(new SFNClient(lambdaClientConfig())),
    campaignStateMachineArn: requiredEnv('CAMPAIGN_STATE_MACHINE_ARN'),
    pacing: pacingFromEnv(process.env),
    ...(process.env.AUDIT_CHECK_NAMES
      ? {
          checkNames: process.env.AUDIT_CHECK_NAMES.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(process.env.METRICS_NAMESPACE ? { metricsNamespace: process.env.METRICS_NAMESPACE } : {}),
  }),
);
