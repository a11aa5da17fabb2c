/**
 * AWS IoT's default per-account API rate quotas (transactions per second), enforced on request as
 * AWS does: a call over the rate fails with ThrottlingException. Off unless the core is told to.
 * Rates are the documented defaults; any can be overridden.
 */
import type { Clock } from '../../../lib/clock.ts';
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
  /** MQTT CONNECT requests per account, and per client id (the latter kept per id). */
  'MQTT:Connect': 500,
  'MQTT:ConnectPerClientId': 1,
};

const KEYED_LIMIT = 10_000;

/** `true` for AWS's defaults, or per-operation rates (merged over the defaults). */
export type QuotaSetting = boolean | Readonly<Record<string, number>>;

export class ApiQuotas {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly rates = new Map<string, number>();
  private readonly keyed = new Map<string, TokenBucket>();
  /** Calls refused for being over their rate, by operation: what a quota-enforced run reports. */
  private readonly throttled = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    setting: QuotaSetting,
  ) {
    if (setting === false) return;
    const rates = setting === true ? AWS_IOT_DEFAULT_TPS : { ...AWS_IOT_DEFAULT_TPS, ...setting };
    for (const [operation, rate] of Object.entries(rates)) {
      this.rates.set(operation, rate);
      this.buckets.set(operation, new TokenBucket(clock, rate));
    }
  }

  /** Takes a token from the bucket of `key` under `operation` (e.g. one per client id). */
  tryTakeKeyed(operation: string, key: string): boolean {
    const rate = this.rates.get(operation);
    if (rate === undefined) return true;
    const id = `${operation}\u0000${key}`;
    let bucket = this.keyed.get(id);
    if (!bucket) {
      // Bounded memory: a full table starts over, which only ever lets a call through early.
      if (this.keyed.size >= KEYED_LIMIT) this.keyed.clear();
      bucket = new TokenBucket(this.clock, rate);
      this.keyed.set(id, bucket);
    }
    return this.counted(operation, bucket.tryTake());
  }

  tryTake(operation: string): boolean {
    const bucket = this.buckets.get(operation);
    return bucket ? this.counted(operation, bucket.tryTake()) : true;
  }

  /** Calls throttled so far, by operation (MQTT connects under `MQTT:Connect...`). */
  throttledCounts(): Record<string, number> {
    return Object.fromEntries(this.throttled);
  }

  private counted(operation: string, taken: boolean): boolean {
    if (!taken) this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
    return taken;
  }

  get enabled(): boolean {
    return this.buckets.size > 0;
  }

  /** Throws ThrottlingException when the operation is over its rate. */
  take(operation: string): void {
    if (!this.tryTake(operation)) throw new ThrottlingException('Rate exceeded');
  }

  /** Wraps routes so each call first takes a token for its operation. */
  wrap(routes: readonly RestRoute[]): RestRoute[] {
    if (!this.enabled) return [...routes];
    // Built field by field: a route may be a class instance whose fields a spread would miss.
    return routes.map(
      (route): RestRoute => ({
        operation: route.operation,
        method: route.method,
        path: route.path,
        ...(route.rawPayload === undefined ? {} : { rawPayload: route.rawPayload }),
        handle: (request) => {
          this.take(route.operation);
          return route.handle(request);
        },
      }),
    );
  }
}
