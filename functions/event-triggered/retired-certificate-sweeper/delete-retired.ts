import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  paginateListPrincipalThings,
} from '@aws-sdk/client-iot';
import { everyItem } from '../../../lib/aws/pages.ts';
import { awsCall, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import { attachedPolicyNames, ignoringMissing } from '../../../workflows/rotate-device/certificates.ts';

/**
 * What became of one kept certificate:
 * - deleted: gone now;
 * - absent: already gone (someone deleted it), which is as good;
 * - left-alone: not INACTIVE any more (someone reactivated it), so it is in use and stays;
 * - deferred: still attached after one detach and retry (DetachThingPrincipal is eventually
 *   consistent); the entry stays and the next run tries again.
 */
export type SweepOutcome =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'left-alone'; readonly status: string }
  | { readonly kind: 'deferred' };

export interface DeleteRetiredDeps {
  readonly iot: IoTClient;
  /** Waits for the next DeleteCertificate slot: every delete, retries included, goes through it. */
  readonly beforeDelete: () => Promise<void>;
}

type DeleteResult = 'deleted' | 'absent' | 'conflict' | 'not-inactive';

async function tryDelete(deps: DeleteRetiredDeps, certificateId: string): Promise<DeleteResult> {
  await deps.beforeDelete();
  try {
    await awsCall('DeleteCertificate', () => deps.iot.send(new DeleteCertificateCommand({ certificateId })));
    return 'deleted';
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return 'absent';
    if (isNamed(error, 'DeleteConflictException')) return 'conflict';
    if (isNamed(error, 'CertificateStateException')) return 'not-inactive';
    throw error;
  }
}

async function describe(
  iot: IoTClient,
  certificateId: string,
): Promise<{ arn: string; status: string } | undefined> {
  try {
    const out = await awsCall('DescribeCertificate', () =>
      iot.send(new DescribeCertificateCommand({ certificateId })),
    );
    const d = out.certificateDescription;
    if (!d?.certificateArn) return undefined;
    return { arn: d.certificateArn, status: d.status ?? 'UNKNOWN' };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** Detaches every thing and every policy still attached to the certificate, every page. */
async function detachEverything(iot: IoTClient, arn: string): Promise<void> {
  const things = await awsCall('ListPrincipalThings', () =>
    everyItem(
      paginateListPrincipalThings({ client: iot, pageSize: 100 }, { principal: arn }),
      (page) => page.things,
    ),
  );
  for (const thingName of things) {
    await ignoringMissing('DetachThingPrincipal', () =>
      iot.send(new DetachThingPrincipalCommand({ thingName, principal: arn })),
    );
  }
  for (const policyName of await attachedPolicyNames(iot, arn)) {
    await ignoringMissing('DetachPolicy', () =>
      iot.send(new DetachPolicyCommand({ policyName, target: arn })),
    );
  }
}

/**
 * Deletes one certificate that retire detached and set INACTIVE a grace period ago. The happy path is
 * one DeleteCertificate. Never deletes a certificate that is not INACTIVE: AWS refuses that itself
 * (CertificateStateException), and the sweeper then leaves it alone, since someone put it back in use.
 */
export async function deleteRetiredCertificate(
  deps: DeleteRetiredDeps,
  certificateId: string,
): Promise<SweepOutcome> {
  const first = await tryDelete(deps, certificateId);
  if (first === 'deleted' || first === 'absent') return { kind: first };
  const facts = await describe(deps.iot, certificateId);
  if (!facts) return { kind: 'absent' };
  if (facts.status !== 'INACTIVE') return { kind: 'left-alone', status: facts.status };
  // INACTIVE and refused: something is attached (a policy, a thing, or a detach not yet visible).
  await detachEverything(deps.iot, facts.arn);
  const second = await tryDelete(deps, certificateId);
  if (second === 'deleted' || second === 'absent') return { kind: second };
  if (second === 'not-inactive') {
    // Reactivated between the describe and this delete, or deleted by someone else meanwhile.
    const now = await describe(deps.iot, certificateId);
    return now ? { kind: 'left-alone', status: now.status } : { kind: 'absent' };
  }
  return { kind: 'deferred' };
}
