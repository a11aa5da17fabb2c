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

/** Waits until `recert rotations show` reports the status (the recorder runs after the event). */
export async function waitForRecordStatus(h: CliHarness, thing: string, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await h.run(['rotations', 'show', thing, '--json']);
    if (result.code === 0 && JSON.parse(result.stdout).record.status === status) return;
    if (Date.now() > deadline)
      throw new Error(`${thing} never reached ${status}: ${result.stdout}${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
