import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import { UsageError } from '../../cli/errors.ts';
import type { ROTATION_CHECKS } from '../../cli/iot/audit.ts';
import type { Target } from '../../cli/target/target.ts';

export const AUDIT_CHECKS = {
  expiring: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
  age: 'DEVICE_CERTIFICATE_AGE_CHECK',
} as const satisfies Record<string, (typeof ROTATION_CHECKS)[number]>;

/**
 * An on-demand Device Defender audit of one rotation check; its notification fans out one rotation
 * per finding, as a scheduled audit's does. The CLI has no audit command yet, so this is the call itself.
 */
export async function runAudit(target: Target, check: string | undefined): Promise<{ taskId: string }> {
  const name = check === undefined || check === '' ? 'expiring' : check;
  if (name !== 'expiring' && name !== 'age') {
    throw new UsageError(`check ${JSON.stringify(name)} is not one of expiring, age`);
  }
  const out = await target.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: [AUDIT_CHECKS[name]] }),
  );
  return { taskId: out.taskId ?? 'unknown' };
}
