import { StartOnDemandAuditTaskCommand, UpdateAccountAuditConfigurationCommand } from '@aws-sdk/client-iot';
import { LOCAL_ACCOUNT_ID } from '../../../local/config.ts';
import type { CliHarness } from './local-aws.ts';

/** Enables Device Defender's expiring-certificate check, with its threshold in days when given. */
export async function enableExpiringCheck(h: CliHarness, thresholdDays?: number): Promise<void> {
  await h.iot.send(
    new UpdateAccountAuditConfigurationCommand({
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-audit`,
      auditCheckConfigurations: {
        DEVICE_CERTIFICATE_EXPIRING_CHECK: {
          enabled: true,
          ...(thresholdDays === undefined
            ? {}
            : { configuration: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: String(thresholdDays) } }),
        },
      },
    }),
  );
}

/** Runs an on-demand audit of the expiring-certificate check to its end; its task id. */
export async function runExpiringAudit(h: CliHarness): Promise<string> {
  const task = await h.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
  );
  await h.audit.idle();
  return task.taskId ?? '';
}
