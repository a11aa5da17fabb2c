import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { TransientAwsError } from '../../workflows/rotate-device/errors.ts';
import { awsCall, isNamed } from './aws-errors.ts';

export interface CertificateFacts {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly status: string;
}

/** DescribeCertificate, or undefined when the certificate does not exist (any more). */
export async function describeCertificate(
  iot: IoTClient,
  certificateId: string,
): Promise<CertificateFacts | undefined> {
  try {
    const out = await awsCall('DescribeCertificate', () =>
      iot.send(new DescribeCertificateCommand({ certificateId })),
    );
    const d = out.certificateDescription;
    if (!d?.certificateArn || !d.certificatePem) return undefined;
    return {
      certificateId,
      certificateArn: d.certificateArn,
      certificatePem: d.certificatePem,
      status: d.status ?? 'UNKNOWN',
    };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** The names of the policies attached directly to a certificate, every page. */
export async function attachedPolicyNames(iot: IoTClient, certificateArn: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const out = await awsCall('ListAttachedPolicies', () =>
      iot.send(
        new ListAttachedPoliciesCommand({
          target: certificateArn,
          recursive: false,
          pageSize: 250,
          ...(marker ? { marker } : {}),
        }),
      ),
    );
    for (const p of out.policies ?? []) if (p.policyName) names.push(p.policyName);
    marker = out.nextMarker || undefined;
  } while (marker);
  return names;
}

/** The principals (certificate ARNs) attached to a thing, every page. */
export async function thingPrincipals(iot: IoTClient, thingName: string): Promise<string[]> {
  const principals: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await awsCall('ListThingPrincipals', () =>
      iot.send(
        new ListThingPrincipalsCommand({ thingName, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
      ),
    );
    principals.push(...(out.principals ?? []));
    nextToken = out.nextToken || undefined;
  } while (nextToken);
  return principals;
}

async function ignoringMissing(label: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await awsCall(label, call);
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return;
    throw error;
  }
}

export type RemovalOutcome = 'deleted' | 'deactivated' | 'absent';

/**
 * Takes a certificate out of service: detached from the thing and from every policy, set INACTIVE,
 * then deleted unless `keep` (a grace period). Idempotent: a certificate or attachment that is
 * already gone counts as done, so a retried or redriven step finishes the job.
 */
export async function removeCertificate(
  iot: IoTClient,
  p: { certificateId: string; thingName: string; keep: boolean },
): Promise<RemovalOutcome> {
  const facts = await describeCertificate(iot, p.certificateId);
  if (!facts) return 'absent';
  await ignoringMissing('DetachThingPrincipal', () =>
    iot.send(new DetachThingPrincipalCommand({ thingName: p.thingName, principal: facts.certificateArn })),
  );
  for (const policyName of await attachedPolicyNames(iot, facts.certificateArn)) {
    await ignoringMissing('DetachPolicy', () =>
      iot.send(new DetachPolicyCommand({ policyName, target: facts.certificateArn })),
    );
  }
  if (facts.status !== 'INACTIVE') {
    await ignoringMissing('UpdateCertificate', () =>
      iot.send(new UpdateCertificateCommand({ certificateId: p.certificateId, newStatus: 'INACTIVE' })),
    );
  }
  if (p.keep) return 'deactivated';
  try {
    await ignoringMissing('DeleteCertificate', () =>
      iot.send(new DeleteCertificateCommand({ certificateId: p.certificateId })),
    );
  } catch (error) {
    // DetachThingPrincipal is eventually consistent: a delete right after it may still see the
    // attachment. Retrying the step later (with backoff) is the cure.
    if (isNamed(error, 'DeleteConflictException', 'CertificateStateException')) {
      throw new TransientAwsError(`DeleteCertificate ${p.certificateId} conflicted; retry later`, {
        cause: error,
      });
    }
    throw error;
  }
  return 'deleted';
}
