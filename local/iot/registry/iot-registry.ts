/**
 * The IoT registry: things, certificates, CA certificates, policies and their attachments, kept in
 * `<stateDir>/iot/registry/` so it survives a restart. It is also the audit's certificate source.
 */
import type { Clock } from '../../../lib/clock.ts';
import type { KeyKind } from '../ca/certificates.ts';
import type { LocalCertificateAuthority } from '../ca/local-ca.ts';
import type { CertificateSource, CertificateView } from '../interfaces.ts';
import type { PolicyContext } from '../policy/variables.ts';
import { EntityLog } from '../store/entity-log.ts';
import type { Partition } from './arns.ts';
import { CertificateOperations, type IssuedValidity } from './certificates.ts';
import { PolicyOperations } from './policies.ts';
import { PrincipalOperations } from './principals.ts';
import { RegistryState } from './registry-state.ts';
import { ThingOperations } from './things.ts';

export interface IotRegistryOptions {
  readonly dir: string;
  readonly clock: Clock;
  readonly partition: Partition;
  /** The authority that signs issued certificates; opened on first use. */
  readonly ca: () => Promise<LocalCertificateAuthority>;
  readonly issuedValidity: IssuedValidity;
  /** Key type CreateKeysAndCertificate generates: RSA 2048 like AWS, or EC P-256 (much faster). */
  readonly keyKind: KeyKind;
  /** How long DetachThingPrincipal stays unseen by reads (AWS: seconds); 0 by default. */
  readonly detachThingPrincipalDelayMs?: number;
}

export class IotRegistry implements CertificateSource {
  readonly things: ThingOperations;
  readonly policies: PolicyOperations;
  readonly certificates: CertificateOperations;
  readonly principals: PrincipalOperations;
  /** The region and account its ARNs name. */
  readonly partition: Partition;
  private readonly log: EntityLog;

  constructor(options: IotRegistryOptions) {
    this.partition = options.partition;
    this.log = new EntityLog(options.dir);
    this.log.open();
    const now = (): number => options.clock.now();
    const state = new RegistryState(this.log, now);
    this.things = new ThingOperations(state, options.partition, now);
    this.policies = new PolicyOperations(state, options.partition, now);
    this.certificates = new CertificateOperations(
      state,
      options.partition,
      now,
      options.ca,
      options.issuedValidity,
      options.keyKind,
    );
    this.principals = new PrincipalOperations(
      state,
      options.partition,
      now,
      options.detachThingPrincipalDelayMs ?? 0,
    );
  }

  *listCertificates(): Iterable<CertificateView> {
    for (const c of this.certificates.all()) {
      yield {
        certificateId: c.certificateId,
        certificateArn: c.certificateArn,
        status: c.status,
        creationDate: c.creationDate,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        ...(c.caCertificateId === undefined ? {} : { caCertificateId: c.caCertificateId }),
      };
    }
  }

  /** What a connection's policies see: the thing named like the client id if this certificate is attached to it. */
  policyContext(clientId: string, certificateId: string): PolicyContext {
    const cert = this.certificates.find(certificateId);
    const thing = this.principals.isAttached(clientId, certificateId)
      ? this.things.find(clientId)
      : undefined;
    return {
      clientId,
      certificateId,
      ...(thing
        ? {
            thing: {
              thingName: thing.thingName,
              attributes: thing.attributes,
              ...(thing.thingTypeName === undefined ? {} : { thingTypeName: thing.thingTypeName }),
            },
          }
        : {}),
      ...(cert?.subjectCommonName === undefined
        ? {}
        : { certificateSubjectCommonName: cert.subjectCommonName }),
    };
  }

  close(): void {
    this.log.close();
  }
}
