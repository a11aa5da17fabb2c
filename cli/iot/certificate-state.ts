import { DescribeCertificateCommand, type IoTClient } from '@aws-sdk/client-iot';
import { isNamed } from '../errors.ts';

export interface CertificateState {
  readonly arn?: string;
  readonly status?: string;
}

/** A certificate's ARN and status as IoT describes them; undefined when IoT no longer knows it. */
export async function certificateState(
  iot: IoTClient,
  certificateId: string,
): Promise<CertificateState | undefined> {
  try {
    const out = await iot.send(new DescribeCertificateCommand({ certificateId }));
    const { certificateArn: arn, status } = out.certificateDescription ?? {};
    return { ...(arn ? { arn } : {}), ...(status ? { status } : {}) };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}
