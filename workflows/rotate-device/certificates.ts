import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  paginateListAttachedPolicies,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { everyItem } from '../../lib/aws/pages.ts';
import { awsCall, isNamed } from './aws-errors.ts';
import { TransientAwsError } from './errors.ts';

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
  const policies = await awsCall('ListAttachedPolicies', () =>
    everyItem(
      paginateListAttachedPolicies(
        { client: iot, pageSize: 250 },
        { target: certificateArn, recursive: false },
      ),
      (page) => page.policies,
    ),
  );
  return policies.flatMap((policy) => (policy.policyName ? [policy.policyName] : []));
}

/** Makes an AWS call for which ResourceNotFoundException means there is nothing (left) to do. */
export async function ignoringMissing(label: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await awsCall(label, call);
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return;
    throw error;
  }
}

export type RemovalOutcome = 'deleted' | 'deactivated' | 'absent';

export interface RemovalRequest {
  readonly certificateId: string;
  readonly thingName: string;
  /** Keep it INACTIVE (a grace period) instead of deleting it. */
  readonly keep: boolean;
  /** The certificate's ARN when the caller knows it: no DescribeCertificate then. */
  readonly certificateArn?: string | undefined;
  /**
   * The policies the caller knows are attached (what the issue step copied): no ListAttachedPolicies
   * then. Should another have been attached since, DeleteCertificate conflicts and the policies are
   * listed and detached before the one retry of the delete.
   */
  readonly policyNames?: readonly string[] | undefined;
}

/** The policies attached to a certificate now; none when the certificate is gone. */
async function policiesNow(iot: IoTClient, certificateArn: string): Promise<string[]> {
  try {
    return await attachedPolicyNames(iot, certificateArn);
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return [];
    throw error;
  }
}

async function detachPolicies(iot: IoTClient, certificateArn: string, names: readonly string[]) {
  for (const policyName of names) {
    // A policy deleted meanwhile is detached already.
    await ignoringMissing('DetachPolicy', () =>
      iot.send(new DetachPolicyCommand({ policyName, target: certificateArn })),
    );
  }
}

/**
 * Takes a certificate out of service: detached from the thing and from every policy, set INACTIVE,
 * then deleted unless `keep` (a grace period). Idempotent: a certificate or attachment that is
 * already gone counts as done, so a retried or redriven step finishes the job.
 *
 * With the ARN and policy names known, the happy path is DetachThingPrincipal, one DetachPolicy per
 * policy, one UpdateCertificate and one DeleteCertificate: the two calls AWS limits to 10 per second
 * (UpdateCertificate, DeleteCertificate) are made once each.
 */
export async function removeCertificate(iot: IoTClient, p: RemovalRequest): Promise<RemovalOutcome> {
  let certificateArn = p.certificateArn;
  let status: string | undefined;
  if (certificateArn === undefined) {
    const facts = await describeCertificate(iot, p.certificateId);
    if (!facts) return 'absent';
    certificateArn = facts.certificateArn;
    status = facts.status;
  }
  const arn = certificateArn;
  await ignoringMissing('DetachThingPrincipal', () =>
    iot.send(new DetachThingPrincipalCommand({ thingName: p.thingName, principal: arn })),
  );
  const known = p.policyNames;
  await detachPolicies(iot, arn, known ?? (await policiesNow(iot, arn)));
  if (status !== 'INACTIVE') {
    try {
      await awsCall('UpdateCertificate', () =>
        iot.send(new UpdateCertificateCommand({ certificateId: p.certificateId, newStatus: 'INACTIVE' })),
      );
    } catch (error) {
      // Only the certificate id names a resource here: it is gone (a retried step that finished).
      if (isNamed(error, 'ResourceNotFoundException')) return 'absent';
      throw error;
    }
  }
  if (p.keep) return 'deactivated';
  const deleteIt = () =>
    ignoringMissing('DeleteCertificate', () =>
      iot.send(new DeleteCertificateCommand({ certificateId: p.certificateId })),
    );
  try {
    await deleteIt();
  } catch (error) {
    if (known === undefined || !isNamed(error, 'DeleteConflictException')) {
      throw deleteFailure(p.certificateId, error);
    }
    // A policy attached since the names were recorded, or the thing's detach not yet visible:
    // detach what is attached now and delete once more.
    await detachPolicies(iot, arn, await policiesNow(iot, arn));
    try {
      await deleteIt();
    } catch (retryError) {
      throw deleteFailure(p.certificateId, retryError);
    }
  }
  return 'deleted';
}

function deleteFailure(certificateId: string, error: unknown): unknown {
  // DetachThingPrincipal is eventually consistent: a delete right after it may still see the
  // attachment. Retrying the step later (with backoff) is the cure.
  if (isNamed(error, 'DeleteConflictException', 'CertificateStateException')) {
    return new TransientAwsError(`DeleteCertificate ${certificateId} conflicted; retry later`, {
      cause: error,
    });
  }
  return error;
}
