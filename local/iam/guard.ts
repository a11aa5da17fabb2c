/**
 * What a local server asks of every request: who signed it (SigV4) and whether that identity may do the
 * operation, answered with the service's own errors; unissued credentials act as the administrator.
 */
import { DecisionCache } from './decision-cache.ts';
import { evaluate } from './evaluate.ts';
import type { IdentityStore } from './identities.ts';
import {
  accessDeniedMessage,
  expiredMessage,
  type GuardedService,
  type RefusingService,
  serviceFailure,
} from './service-errors.ts';
import { authorizationOf, signedAt, verifySignature } from './sigv4.ts';
import type { AuthFailure, AuthorizationRequest, Decision, Principal, SignedHttpRequest } from './types.ts';

export function isAuthFailure(x: unknown): x is AuthFailure {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as AuthFailure).code === 'string' &&
    typeof (x as AuthFailure).message === 'string' &&
    typeof (x as AuthFailure).status === 'number' &&
    !('arn' in x)
  );
}

/** The decision for one request, memoized for the store's own principals. */
function decide(identities: IdentityStore, principal: Principal, request: AuthorizationRequest): Decision {
  if (!identities.issued(principal)) return evaluate(principal.policies, request, principal);
  const key = DecisionCache.keyOf(principal.arn, request);
  const cached = identities.decisions.get(key);
  if (cached !== undefined) return cached;
  const decision = evaluate(principal.policies, request, principal);
  identities.decisions.set(key, decision);
  return decision;
}

/**
 * Authorizes an in-process principal for every request, refused as the named service would (Lambda by
 * default); the first request not allowed gives AccessDenied with AWS's message.
 */
export function authorizeInternal(
  identities: IdentityStore,
  principal: Principal,
  requests: readonly AuthorizationRequest[],
  service: RefusingService = 'lambda',
): AuthFailure | undefined {
  if (principal.administrator) return undefined;
  for (const request of requests) {
    const decision = decide(identities, principal, request);
    if (decision === 'Allow') continue;
    const message = accessDeniedMessage(
      principal.arn,
      request.action,
      request.resource,
      decision === 'ExplicitDeny',
    );
    return serviceFailure(service, 'denied', message);
  }
  return undefined;
}

export class RequestGuard {
  constructor(
    readonly service: GuardedService,
    readonly identities: IdentityStore,
    readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Who made the request: no header, missing token; a key not issued, the administrator (unverified); an
   * issued key unknown, unrecognized client; a known key, its session if the signature holds here.
   */
  authenticate(request: SignedHttpRequest): Principal | AuthFailure {
    const auth = authorizationOf(request);
    if (auth === undefined) return serviceFailure(this.service, 'missing');
    if (auth === 'malformed') return serviceFailure(this.service, 'incomplete');
    if (!this.identities.isIssuedKey(auth.accessKeyId))
      return this.identities.administrator(auth.accessKeyId);
    const now = this.now();
    const check = verifySignature(request, (id) => this.identities.secretOf(id), now);
    if (check.ok) {
      // A signature for another service's scope is refused as AWS does (the signing names are the
      // GuardedService names).
      if (check.service !== this.service) {
        const message = `Credential should be scoped to correct service: '${this.service}'.`;
        return serviceFailure(this.service, 'signature', message);
      }
      const principal = this.identities.principalOf(check.accessKeyId);
      return principal ?? serviceFailure(this.service, 'unrecognized');
    }
    switch (check.reason) {
      case 'missing':
        return serviceFailure(this.service, 'missing');
      case 'malformed':
        return serviceFailure(this.service, 'incomplete');
      case 'unknown-key':
        return serviceFailure(this.service, 'unrecognized');
      case 'mismatch':
        return serviceFailure(this.service, 'signature');
      case 'expired':
        return serviceFailure(this.service, 'expired', expiredMessage(signedAt(request) ?? now, now));
    }
  }

  /** `undefined` when every request is allowed; otherwise the service's AccessDenied for the first refused. */
  authorize(principal: Principal, requests: readonly AuthorizationRequest[]): AuthFailure | undefined {
    return authorizeInternal(this.identities, principal, requests, this.service);
  }
}
