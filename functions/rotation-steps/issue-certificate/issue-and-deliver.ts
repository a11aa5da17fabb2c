import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type {
  IssueCertificateInput,
  IssueCertificateOutput,
} from '../../../workflows/rotate-device/types.ts';
import { deliverCertificate } from './deliver-certificate.ts';
import { type IssueCertificateDeps, issueCertificate } from './issue-certificate.ts';

export interface IssueAndDeliverDeps extends IssueCertificateDeps {
  readonly iotData: IoTDataPlaneClient;
}

/**
 * The IssueAndDeliver callback step: issues this attempt's certificate (or finds the one already
 * issued), then stores the task token and sends crt_res. One state and one invocation instead of
 * two: the step runs again as a whole on an ack timeout, and issuing is idempotent per attempt.
 */
export async function issueAndDeliver(
  input: IssueCertificateInput,
  deps: IssueAndDeliverDeps,
): Promise<IssueCertificateOutput> {
  const issued = await issueCertificate(input, deps);
  await deliverCertificate(
    {
      taskToken: input.taskToken,
      thingName: input.thingName,
      executionArn: input.executionArn,
      rotationId: input.rotationId,
      certificateId: issued.certificateId,
    },
    deps,
  );
  return issued;
}
