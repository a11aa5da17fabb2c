/**
 * The access check each local server asks before an operation: who signed the request (SigV4 against
 * the local identities) and whether every authorization AWS makes for that operation is allowed.
 */
import { CAMPAIGN_TABLE } from '../../workflows/campaign/table.ts';
import { ROTATION_TABLE } from '../../workflows/rotate-device/table.ts';
import { isAuthFailure, RequestGuard } from '../iam/guard.ts';
import type { IdentityStore } from '../iam/identities.ts';
import {
  IOT_DATA_OPERATIONS,
  type LocalService,
  OperationInputError,
  type OperationScope,
  requiredPermissions,
  type ServiceInputs,
  UnknownOperationError,
} from '../iam/operations/index.ts';
import type { GuardedService } from '../iam/service-errors.ts';
import type { AccessCheck, AuthorizationRequest } from '../iam/types.ts';

/** The local tables' partition keys (an index's when named), for `dynamodb:LeadingKeys`. */
export interface LocalTableNames {
  readonly rotationTable: string;
  readonly campaignTable: string;
}

export function partitionKeysOf(
  tables: LocalTableNames,
): (tableName: string, indexName?: string) => string | undefined {
  return (tableName, indexName) => {
    if (tableName === tables.rotationTable) {
      if (indexName === undefined) return ROTATION_TABLE.partitionKey.name;
      return indexName === ROTATION_TABLE.statusIndex.name
        ? ROTATION_TABLE.statusIndex.partitionKey.name
        : undefined;
    }
    if (tableName === tables.campaignTable && indexName === undefined)
      return CAMPAIGN_TABLE.partitionKey.name;
    return undefined;
  };
}

const DATA_PLANE = new Set(IOT_DATA_OPERATIONS);

/** The access checks of every local server, over one identity store. */
export class LocalAccess {
  private readonly guards = new Map<GuardedService, RequestGuard>();
  private readonly scope: OperationScope;

  constructor(
    readonly identities: IdentityStore,
    region: string,
    private readonly tables: LocalTableNames,
  ) {
    this.scope = { partition: 'aws', region, accountId: identities.accountId };
  }

  /** The check of one service's server (the IoT server serves the control and the data plane). */
  check(service: Exclude<LocalService, 'iotdata'>): AccessCheck {
    if (service === 'iot') {
      return (request, operation, input) =>
        DATA_PLANE.has(operation)
          ? this.run('iotdata', request, operation, input)
          : this.run('iot', request, operation, input);
    }
    return (request, operation, input) => this.run(service, request, operation, input);
  }

  private guard(service: GuardedService): RequestGuard {
    let guard = this.guards.get(service);
    if (!guard) {
      guard = new RequestGuard(service, this.identities);
      this.guards.set(service, guard);
    }
    return guard;
  }

  private run(
    service: LocalService,
    request: Parameters<AccessCheck>[0],
    operation: string,
    input: unknown,
  ): ReturnType<AccessCheck> {
    const guard = this.guard(service);
    const principal = guard.authenticate(request);
    if (isAuthFailure(principal)) return principal;
    // The administrator may do anything: nothing to map.
    if (principal.administrator) return undefined;
    let required: readonly AuthorizationRequest[];
    try {
      required = this.required(service, operation, input);
    } catch (error) {
      // A request missing what its resource is named from is AWS's validation error, not a denial:
      // the operation itself answers it.
      if (error instanceof OperationInputError) return undefined;
      // An operation nobody mapped is refused rather than let through unchecked.
      if (error instanceof UnknownOperationError) {
        return guard.authorize(principal, [
          { action: `${service === 'iotdata' ? 'iot' : service}:${operation}`, resource: '*', context: {} },
        ]);
      }
      throw error;
    }
    return guard.authorize(principal, required);
  }

  private required(
    service: LocalService,
    operation: string,
    input: unknown,
  ): readonly AuthorizationRequest[] {
    if (service === 'dynamodb') {
      return requiredPermissions('dynamodb', operation, input, {
        ...this.scope,
        partitionKeyOf: partitionKeysOf(this.tables),
      });
    }
    return requiredPermissions(service, operation, input as ServiceInputs[typeof service], this.scope);
  }
}
