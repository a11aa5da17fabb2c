import { DescribeCertificateCommand, type IoTClient } from '@aws-sdk/client-iot';
import { isNamed } from '../errors.ts';

export interface CertificateState {
  readonly arn?: string;
  readonly status?: string;
  readonly notAfter?: Date;
}

/** A certificate's ARN, status and expiry as IoT describes them; undefined when IoT no longer knows it. */
export async function certificateState(
  iot: IoTClient,
  certificateId: string,
): Promise<CertificateState | undefined> {
  try {
    const out = await iot.send(new DescribeCertificateCommand({ certificateId }));
    const { certificateArn: arn, status, validity } = out.certificateDescription ?? {};
    const notAfter = validity?.notAfter;
    return { ...(arn ? { arn } : {}), ...(status ? { status } : {}), ...(notAfter ? { notAfter } : {}) };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** The status to show: DELETED once IoT no longer knows the certificate, UNKNOWN when it does not say. */
export function statusOrDeleted(state: CertificateState | undefined): string {
  return state === undefined ? 'DELETED' : (state.status ?? 'UNKNOWN');
}
