/**
 * The local account's identities: role sessions with issued credentials (`ASIARECERT...`), and the
 * administrator unconfigured credentials act as (LocalStack's rule, so `test`/`test` keys work).
 */
import { randomBytes } from 'node:crypto';
import { DecisionCache } from './decision-cache.ts';
import type { LocalCredentials, PolicyDocument, Principal } from './types.ts';

export const ISSUED_KEY_PREFIX = 'ASIARECERT';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyId(): string {
  // 20 characters like AWS's: the prefix and ten random base32 characters.
  const bytes = randomBytes(10);
  let suffix = '';
  for (const byte of bytes) suffix += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return ISSUED_KEY_PREFIX + suffix;
}

interface Role {
  readonly name: string;
  readonly arn: string;
  policies: readonly PolicyDocument[];
}

interface Session {
  readonly credentials: LocalCredentials;
  readonly principal: Principal;
}

export class IdentityStore {
  readonly #roles = new Map<string, Role>();
  /** Sessions by `role\nsession` and by access key ID. */
  readonly #sessions = new Map<string, Session>();
  readonly #byKey = new Map<string, Session>();
  readonly #issued = new WeakSet<Principal>();
  readonly #administrator: Principal;
  /** Decisions for the principals this store issued; cleared whenever a role's policies change. */
  readonly decisions = new DecisionCache();

  constructor(readonly accountId: string) {
    this.#administrator = { arn: `arn:aws:iam::${accountId}:root`, policies: [], administrator: true };
  }

  /**
   * Credentials for a role session, the same again for the same role and session name; the first session
   * defines the role's policies (setPolicies changes them).
   */
  addRoleSession(
    roleName: string,
    sessionName: string,
    policies: readonly PolicyDocument[],
  ): LocalCredentials {
    const existing = this.#sessions.get(`${roleName}\n${sessionName}`);
    if (existing !== undefined) return existing.credentials;
    let role = this.#roles.get(roleName);
    if (role === undefined) {
      role = {
        name: roleName,
        arn: `arn:aws:iam::${this.accountId}:role/${roleName}`,
        policies: [...policies],
      };
      this.#roles.set(roleName, role);
    }
    const credentials: LocalCredentials = {
      accessKeyId: randomKeyId(),
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    const owner = role;
    // `policies` reads the role's current policies, so a principal held across setPolicies sees the change.
    const principal: Principal = {
      arn: `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/${sessionName}`,
      roleArn: role.arn,
      get policies() {
        return owner.policies;
      },
      administrator: false,
    };
    const session = { credentials, principal };
    this.#sessions.set(`${roleName}\n${sessionName}`, session);
    this.#byKey.set(credentials.accessKeyId, session);
    this.#issued.add(principal);
    return credentials;
  }

  /** Replaces a role's policies (every session of the role sees them) and forgets cached decisions. */
  setPolicies(roleName: string, policies: readonly PolicyDocument[]): void {
    const role = this.#roles.get(roleName);
    if (role === undefined) {
      this.#roles.set(roleName, {
        name: roleName,
        arn: `arn:aws:iam::${this.accountId}:role/${roleName}`,
        policies: [...policies],
      });
    } else {
      role.policies = [...policies];
    }
    this.decisions.clear();
  }

  /** The policies a role has now (undefined: no such role). */
  policiesOf(roleName: string): readonly PolicyDocument[] | undefined {
    return this.#roles.get(roleName)?.policies;
  }

  /** The role session an issued key belongs to. */
  principalOf(accessKeyId: string): Principal | undefined {
    return this.#byKey.get(accessKeyId)?.principal;
  }

  /** A role session's principal by role and session name (for callers inside the process). */
  sessionPrincipal(roleName: string, sessionName: string): Principal | undefined {
    return this.#sessions.get(`${roleName}\n${sessionName}`)?.principal;
  }

  secretOf(accessKeyId: string): string | undefined {
    return this.#byKey.get(accessKeyId)?.credentials.secretAccessKey;
  }

  /** Whether the key looks like one this store issues (whether or not it still knows it). */
  isIssuedKey(accessKeyId: string): boolean {
    return accessKeyId.startsWith(ISSUED_KEY_PREFIX);
  }

  /** Whether a principal is one of this store's role sessions (its decisions may be cached). */
  issued(principal: Principal): boolean {
    return this.#issued.has(principal);
  }

  /**
   * The account's administrator, which any credentials nobody configured act as. The access key is not
   * part of the identity: every such key is the same root principal.
   */
  administrator(_accessKeyId: string): Principal {
    return this.#administrator;
  }
}
