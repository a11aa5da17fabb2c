/**
 * AWS IoT's default per-account API rate quotas (transactions per second), enforced on request as
 * AWS does: a call over the rate fails with ThrottlingException. Off unless the core is told to.
 * Rates are the documented defaults; any can be overridden.
 */
import type { Clock } from '../../clock.ts';
import { ThrottlingException } from '../errors.ts';
import type { RestRoute } from '../interfaces.ts';
import { TokenBucket } from './token-bucket.ts';

export const AWS_IOT_DEFAULT_TPS: Readonly<Record<string, number>> = {
  AttachPolicy: 15,
  AttachThingPrincipal: 100,
  CreateCertificateFromCsr: 15,
  CreateKeysAndCertificate: 10,
  CreatePolicy: 10,
  CreateThing: 100,
  DeleteCACertificate: 10,
  DeleteCertificate: 10,
  DeletePolicy: 10,
  DeleteThing: 100,
  DescribeCACertificate: 10,
  DescribeCertificate: 10,
  DescribeEndpoint: 10,
  DescribeThing: 350,
  DetachPolicy: 15,
  DetachThingPrincipal: 100,
  GetPolicy: 15,
  GetRegistrationCode: 10,
  ListAttachedPolicies: 15,
  ListCACertificates: 10,
  ListCertificates: 10,
  ListPolicies: 10,
  ListPrincipalThings: 10,
  ListTargetsForPolicy: 10,
  ListThingPrincipals: 10,
  ListThings: 10,
  RegisterCACertificate: 10,
  RegisterCertificate: 10,
  RegisterCertificateWithoutCA: 10,
  UpdateCACertificate: 10,
  UpdateCertificate: 10,
  Publish: 20_000,
};

/** `true` for AWS's defaults, or per-operation rates (merged over the defaults). */
export type QuotaSetting = boolean | Readonly<Record<string, number>>;

export class ApiQuotas {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(clock: Clock, setting: QuotaSetting) {
    if (setting === false) return;
    const rates = setting === true ? AWS_IOT_DEFAULT_TPS : { ...AWS_IOT_DEFAULT_TPS, ...setting };
    for (const [operation, rate] of Object.entries(rates)) {
      this.buckets.set(operation, new TokenBucket(clock, rate));
    }
  }

  get enabled(): boolean {
    return this.buckets.size > 0;
  }

  /** Throws ThrottlingException when the operation is over its rate. */
  take(operation: string): void {
    const bucket = this.buckets.get(operation);
    if (bucket && !bucket.tryTake()) throw new ThrottlingException('Rate exceeded');
  }

  /** Wraps routes so each call first takes a token for its operation. */
  wrap(routes: readonly RestRoute[]): RestRoute[] {
    if (!this.enabled) return [...routes];
    return routes.map((route) => ({
      ...route,
      handle: (request) => {
        this.take(route.operation);
        return route.handle(request);
      },
    }));
  }
}
