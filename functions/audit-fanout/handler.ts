import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../shared/aws-client-config.ts';
import { type RuntimeOptions, requiredEnv } from '../shared/environment.ts';
import { counterOf, createObservability, lazyHandler, logOf, wrapHandler } from '../shared/observability.ts';
import { fanOut } from './audit-fanout.ts';

export const DEFAULT_CHECKS = ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'] as const;

export interface FanoutHandlerDeps extends RuntimeOptions {
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly region: string;
  readonly accountId?: string;
  readonly checkNames?: readonly string[];
}

export function createHandler(deps: FanoutHandlerDeps) {
  const observability = createObservability('audit-fanout', {
    ...(deps.logLevel ? { logLevel: deps.logLevel } : {}),
    ...(deps.metricsNamespace ? { namespace: deps.metricsNamespace } : {}),
  });
  return wrapHandler(observability, async (event) =>
    fanOut(event, {
      iot: deps.iot,
      sfn: deps.sfn,
      log: logOf(observability.logger),
      counter: counterOf(observability.metrics),
      stateMachineArn: deps.stateMachineArn,
      checkNames: deps.checkNames ?? DEFAULT_CHECKS,
      region: deps.region,
      ...(deps.accountId ? { accountId: deps.accountId } : {}),
    }),
  );
}

export const handler = lazyHandler(() =>
  createHandler({
    iot: new IoTClient(lambdaClientConfig()),
    sfn: new SFNClient(lambdaClientConfig()),
    stateMachineArn: requiredEnv('STATE_MACHINE_ARN'),
    region: requiredEnv('AWS_REGION'),
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
