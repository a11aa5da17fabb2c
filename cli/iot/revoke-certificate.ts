import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { isNamed } from '../errors.ts';

export interface RevokeOutcome {
  readonly certificateId: string;
  /** False when the certificate was already gone. */
  readonly existed: boolean;
  readonly detachedPolicies: readonly string[];
  readonly detachedThings: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function all<T>(
  page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
) {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const out = await page(marker);
    items.push(...out.items);
    marker = out.next;
  } while (marker !== undefined);
  return items;
}

/** The status of a certificate, or undefined when IoT does not know it. */
export async function certificateStatus(iot: IoTClient, certificateId: string): Promise<string | undefined> {
  try {
    const out = await iot.send(new DescribeCertificateCommand({ certificateId }));
    return out.certificateDescription?.status;
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/**
 * Removes a certificate the way AWS IoT requires: detached from its policies and things, INACTIVE,
 * then deleted. Every step tolerates having been done already, so a rerun after a failure
 * finishes the job. DetachThingPrincipal is eventually consistent: the delete is retried while
 * IoT still sees an attachment.
 */
export async function revokeCertificate(
  iot: IoTClient,
  certificateId: string,
  options: { deleteAttempts?: number; retryDelayMs?: number } = {},
): Promise<RevokeOutcome> {
  let certificateArn: string;
  try {
    const out = await iot.send(new DescribeCertificateCommand({ certificateId }));
    certificateArn = out.certificateDescription?.certificateArn ?? '';
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) {
      return { certificateId, existed: false, detachedPolicies: [], detachedThings: [] };
    }
    throw error;
  }
  const policies = await all(async (marker) => {
    const out = await iot.send(
      new ListAttachedPoliciesCommand({ target: certificateArn, ...(marker ? { marker } : {}) }),
    );
    return {
      items: (out.policies ?? []).flatMap((p) => (p.policyName ? [p.policyName] : [])),
      next: out.nextMarker,
    };
  });
  for (const policyName of policies) {
    await iot.send(new DetachPolicyCommand({ policyName, target: certificateArn }));
  }
  const things = await all(async (nextToken) => {
    const out = await iot.send(
      new ListPrincipalThingsCommand({ principal: certificateArn, ...(nextToken ? { nextToken } : {}) }),
    );
    return { items: out.things ?? [], next: out.nextToken };
  });
  for (const thingName of things) {
    await iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }));
  }
  await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
  const attempts = options.deleteAttempts ?? 6;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await iot.send(new DeleteCertificateCommand({ certificateId }));
      break;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) break;
      if (!isNamed(error, 'DeleteConflictException') || attempt >= attempts) throw error;
      await sleep((options.retryDelayMs ?? 500) * attempt);
    }
  }
  return { certificateId, existed: true, detachedPolicies: policies, detachedThings: things };
}
