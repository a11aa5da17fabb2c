import type { IoTClient } from '@aws-sdk/client-iot';
import {
  describeCertificate,
  type RemovalOutcome,
  removeCertificate,
} from '../../workflows/rotate-device/certificates.ts';
import { TransientAwsError } from '../../workflows/rotate-device/errors.ts';

export interface RevokeOutcome {
  readonly certificateId: string;
  /** `absent` when the certificate was already gone. */
  readonly outcome: RemovalOutcome;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The status of a certificate (ACTIVE, INACTIVE, ...), or undefined when IoT does not know it. */
export async function certificateStatus(iot: IoTClient, certificateId: string): Promise<string | undefined> {
  return (await describeCertificate(iot, certificateId))?.status;
}

/**
 * Revokes a certificate with the workflow's own removal (detached from the thing and its
 * policies, INACTIVE, deleted). The workflow leaves a transient failure (DetachThingPrincipal is
 * eventually consistent, so the delete may conflict) to the state machine's retries; an operator
 * waiting at a terminal gets the retries here instead.
 */
export async function revokeCertificate(
  iot: IoTClient,
  p: { certificateId: string; thingName: string },
  options: { attempts?: number; retryDelayMs?: number } = {},
): Promise<RevokeOutcome> {
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const outcome = await removeCertificate(iot, { ...p, keep: false });
      return { certificateId: p.certificateId, outcome };
    } catch (error) {
      if (!(error instanceof TransientAwsError) || attempt >= attempts) throw error;
      await sleep((options.retryDelayMs ?? 500) * attempt);
    }
  }
}
