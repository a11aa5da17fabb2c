import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { evaluate, evaluateResourcePolicy } from '../iam/evaluate.ts';
import type {
  AuthorizationRequest,
  Decision,
  InvokeCaller,
  PolicyDocument,
  PolicyStatement,
  Principal,
} from '../iam/types.ts';
import { type AddPermissionInput, FunctionPermissions, LambdaPermissionError } from './permissions.ts';

/** A Lambda handler as AWS calls it: the event and a context; the result or a thrown error. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  readonly name: string;
  readonly arn: string;
  readonly handler: LambdaHandler;
  /** Lambda's timeout for this function, in seconds (default 30). */
  readonly timeoutSeconds?: number;
}

/** What a failed invocation looks like to a caller, as Lambda reports it. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    options?: { cause?: unknown },
  ) {
    super(errorMessage, options);
    this.name = errorType;
  }
}

export const INVOKE_ACTION = 'lambda:InvokeFunction';

/** A cached authorization: the refusal (undefined when allowed) and the policies' revision it read. */
interface CachedDecision {
  readonly revision: number;
  readonly refusal: LambdaInvocationError | undefined;
}

/**
 * A failure of the Lambda service itself (a transient 500 or a 429 throttle), not of the function, which
 * never ran; Step Functions reports it as `Lambda.<exception>`.
 */
export class LambdaServiceError extends LambdaInvocationError {
  constructor(
    readonly exception: string,
    message: string,
    readonly statusCode = exception === 'TooManyRequestsException' ? 429 : 500,
  ) {
    super(`Lambda.${exception}`, message);
  }
}

/** The in-process Lambda service: functions by name or ARN (with or without a version or alias). */
export class FunctionRegistry {
  private readonly byKey = new Map<string, LocalFunction>();
  /** The functions' resource-based policies (AddPermission), by unqualified function ARN. */
  readonly permissions = new FunctionPermissions();
  // A fleet invokes the same functions from the same rules thousands of times: decisions are kept per
  // caller and function until a permission changes (a principal's policies change with a new object).
  private readonly serviceDecisions = new Map<string, CachedDecision>();
  private readonly invocationCounts = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly faults = new Map<string, { exception: string; remaining: number }>();
  private stopping = false;

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** True once `drain` began: the service takes no more invocations. */
  get isStopping(): boolean {
    return this.stopping;
  }

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  register(name: string, handler: LambdaHandler, timeoutSeconds?: number): LocalFunction {
    const fn: LocalFunction = {
      name,
      arn: this.arnOf(name),
      handler,
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    };
    this.byKey.set(name, fn);
    this.byKey.set(fn.arn, fn);
    return fn;
  }

  /** Resolves a function name, a function ARN, or a qualified ARN (`...:function:name:$LATEST`). */
  resolve(nameOrArn: string): LocalFunction | undefined {
    const direct = this.byKey.get(nameOrArn);
    if (direct) return direct;
    const match = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
    return match?.[1] ? this.byKey.get(match[1]) : undefined;
  }

  /** Invocations so far (billed as Lambda bills them: one per call, retries included), by function name. */
  invocations(): ReadonlyMap<string, number> {
    return new Map(this.invocationCounts);
  }

  list(): LocalFunction[] {
    return [...new Set(this.byKey.values())];
  }

  /** Lambda's AddPermission on a function (by name or ARN): one statement of its resource-based policy. */
  addPermission(nameOrArn: string, input: AddPermissionInput): PolicyStatement {
    return this.permissions.addPermission(this.requireForPolicy(nameOrArn).arn, input);
  }

  /** Lambda's RemovePermission: drops one statement by its id. */
  removePermission(nameOrArn: string, statementId: string): void {
    this.permissions.removePermission(this.requireForPolicy(nameOrArn).arn, statementId);
  }

  /** Lambda's GetPolicy: the function's resource-based policy, undefined when it has none. */
  policyOf(nameOrArn: string): PolicyDocument | undefined {
    const fn = this.resolve(nameOrArn);
    return fn ? this.permissions.policyOf(fn.arn) : undefined;
  }

  /**
   * Whether `caller` may invoke the function, as Lambda's Invoke decides: a service by the resource policy; a
   * role session by either policy in its own account (a deny in either refuses), by both across accounts.
   */
  authorize(nameOrArn: string, caller: InvokeCaller): LambdaInvocationError | undefined {
    const fn = this.resolve(nameOrArn);
    if (!fn) return undefined;
    const revision = this.permissions.revision;
    if (caller.kind === 'service') {
      const key = `${caller.service}\n${caller.sourceArn}\n${caller.sourceAccount}\n${fn.arn}`;
      const cached = this.serviceDecisions.get(key);
      if (cached?.revision === revision) return cached.refusal;
      const refusal = this.authorizeService(fn.arn, caller);
      this.serviceDecisions.set(key, { revision, refusal });
      return refusal;
    }
    const principal = caller.principal;
    if (principal.administrator) return undefined;
    // Not cached: a role's policies can change under the same principal (its session stays).
    return this.authorizePrincipal(fn.arn, principal);
  }

  /**
   * Invokes a function in this process as Lambda would: a thrown error's `name` becomes its `errorType`, as
   * the Node.js runtime reports it. With a `caller` it is authorized first; without, unchecked.
   */
  async invoke(nameOrArn: string, event: unknown, caller?: InvokeCaller): Promise<unknown> {
    const fn = this.resolve(nameOrArn);
    if (!fn) {
      throw new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${nameOrArn}`);
    }
    if (this.stopping) {
      throw new LambdaServiceError('ServiceException', 'the local Lambda service is stopping');
    }
    // Authorized before anything else runs: a refused call never reaches the service's own failures.
    if (caller) {
      const refusal = this.authorize(fn.arn, caller);
      if (refusal) throw refusal;
    }
    const fault = this.faults.get(fn.name);
    if (fault) {
      if (--fault.remaining <= 0) this.faults.delete(fn.name);
      throw new LambdaServiceError(fault.exception, `injected fault: ${fault.exception}`);
    }
    const run = this.run(fn, event);
    this.running.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /**
   * Fault hook (tests): the next `times` invocations of the function fail in the service with
   * `exception` before the function runs, as a transient Lambda 500 does.
   */
  failNextInvocations(nameOrArn: string, exception: string, times = 1): void {
    const fn = this.resolve(nameOrArn);
    if (!fn) throw new Error(`no function ${nameOrArn} to fail`);
    this.faults.set(fn.name, { exception, remaining: times });
  }

  /**
   * Stops taking invocations and waits (at most `timeoutMs`) for the running ones, which now see no time
   * left, as before a Lambda timeout: a function working in turns ends its turn.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private requireForPolicy(nameOrArn: string): LocalFunction {
    const fn = this.resolve(nameOrArn);
    if (!fn) {
      throw new LambdaPermissionError(
        'ResourceNotFoundException',
        `Function not found: ${nameOrArn.startsWith('arn:') ? nameOrArn : this.arnOf(nameOrArn)}`,
      );
    }
    return fn;
  }

  private authorizeService(
    functionArn: string,
    caller: Extract<InvokeCaller, { kind: 'service' }>,
  ): LambdaInvocationError | undefined {
    const policy = this.permissions.policyOf(functionArn);
    const request: AuthorizationRequest = {
      action: INVOKE_ACTION,
      resource: functionArn,
      context: { 'aws:SourceArn': caller.sourceArn, 'aws:SourceAccount': caller.sourceAccount },
    };
    const decision: Decision = policy
      ? evaluateResourcePolicy(policy, { ...request, principalService: caller.service })
      : 'ImplicitDeny';
    if (decision === 'Allow') return undefined;
    return accessDenied(
      caller.service,
      functionArn,
      decision === 'ExplicitDeny'
        ? 'with an explicit deny in a resource-based policy'
        : `because no resource-based policy allows the ${INVOKE_ACTION} action`,
    );
  }

  private authorizePrincipal(functionArn: string, principal: Principal): LambdaInvocationError | undefined {
    // The evaluator derives aws:PrincipalArn and aws:PrincipalAccount from the principal itself.
    const request: AuthorizationRequest = { action: INVOKE_ACTION, resource: functionArn, context: {} };
    const identity = evaluate(principal.policies, request, principal);
    const policy = this.permissions.policyOf(functionArn);
    const resource: Decision = policy
      ? evaluateResourcePolicy(policy, { ...request, principalArn: principal.arn })
      : 'ImplicitDeny';
    if (identity === 'ExplicitDeny') {
      return accessDenied(principal.arn, functionArn, 'with an explicit deny in an identity-based policy');
    }
    if (resource === 'ExplicitDeny') {
      return accessDenied(principal.arn, functionArn, 'with an explicit deny in a resource-based policy');
    }
    const sameAccount = principal.arn.split(':')[4] === this.accountId;
    if (
      sameAccount
        ? identity === 'Allow' || resource === 'Allow'
        : identity === 'Allow' && resource === 'Allow'
    ) {
      return undefined;
    }
    return accessDenied(
      principal.arn,
      functionArn,
      identity !== 'Allow'
        ? `because no identity-based policy allows the ${INVOKE_ACTION} action`
        : `because no resource-based policy allows the ${INVOKE_ACTION} action`,
    );
  }

  private async run(fn: LocalFunction, event: unknown): Promise<unknown> {
    this.invocationCounts.set(fn.name, (this.invocationCounts.get(fn.name) ?? 0) + 1);
    const timeoutMs = (fn.timeoutSeconds ?? 30) * 1000;
    // Lambda's timeout bounds computation, which an accelerated clock does not speed up: the
    // remaining time is wall time, whatever the shared clock's speed.
    const deadline = Date.now() + timeoutMs;
    const requestId = randomUUID();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '256',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `local/${requestId}`,
      getRemainingTimeInMillis: () => (this.stopping ? 0 : Math.max(0, deadline - Date.now())),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      // A structured clone gives the handler its own copy, as a serialised Lambda event would.
      return await fn.handler(structuredClone(event), context);
    } catch (error) {
      if (error instanceof Error) {
        throw new LambdaInvocationError(error.name || 'Error', error.message, { cause: error });
      }
      throw new LambdaInvocationError('Error', String(error), { cause: error });
    }
  }
}

/** Lambda's Invoke API refused the caller (HTTP 403): the function never ran. */
export class LambdaAccessDeniedError extends LambdaInvocationError {
  readonly statusCode = 403;
}

/** Lambda's answer to a refused Invoke (HTTP 403), in IAM's wording. */
function accessDenied(who: string, functionArn: string, reason: string): LambdaInvocationError {
  return new LambdaAccessDeniedError(
    'AccessDeniedException',
    `User: ${who} is not authorized to perform: ${INVOKE_ACTION} on resource: ${functionArn} ${reason}`,
  );
}
