import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CliHarness } from './local-aws.ts';

/** Starts a rotation the way the audit fan-out would (not through the CLI), and waits for it to settle. */
export async function startDirect(
  h: CliHarness,
  thingName: string,
  oldCertificateId: string,
  campaign: string,
  settle: string | undefined,
): Promise<string> {
  const out = await h.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: h.manifest.resources.stateMachineArn,
      name: `${thingName}-${oldCertificateId.slice(0, 8)}`,
      input: JSON.stringify({ thingName, oldCertificateId, campaign }),
    }),
  );
  const arn = out.executionArn ?? '';
  if (settle) await h.waitForExecution(arn, settle);
  return arn;
}
