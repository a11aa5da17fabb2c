import type { PolicyDocument, PolicyStatement } from '../iam/types.ts';

/** What Lambda's AddPermission takes (the parameters the local stack uses). */
export interface AddPermissionInput {
  readonly statementId: string;
  /** `lambda:InvokeFunction`, another `lambda:` action, `lambda:*` or `*`. */
  readonly action: string;
  /** A service (`iot.amazonaws.com`), an account id, an IAM ARN, or `*`. */
  readonly principal: string;
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
}

export type LambdaPermissionErrorCode =
  | 'InvalidParameterValueException'
  | 'ResourceConflictException'
  | 'ResourceNotFoundException';

/** A refused AddPermission or RemovePermission, with Lambda's error code. */
export class LambdaPermissionError extends Error {
  constructor(
    readonly code: LambdaPermissionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

// Lambda's own input constraints for AddPermission.
const STATEMENT_ID = /^[a-zA-Z0-9\-_.]{1,100}$/;
const ACTION = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;
const SOURCE_ARN = /^arn:aws[a-zA-Z0-9-]*:[a-zA-Z0-9-]+:([a-z]{2}(-gov)?-[a-z]+-\d)?:(\d{12})?:.*$/;
const ACCOUNT_ID = /^\d{12}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;

/**
 * The statement Lambda stores for one AddPermission: principal as `{ Service }`, a root ARN or the ARN;
 * source ARN and account as `ArnLike` / `StringEquals` conditions (keys spelt `AWS:`, as Lambda does).
 */
export function permissionStatement(functionArn: string, input: AddPermissionInput): PolicyStatement {
  checkInput(input);
  const condition: Record<string, Record<string, string>> = {};
  if (input.sourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': input.sourceArn };
  if (input.sourceAccount !== undefined)
    condition.StringEquals = { 'AWS:SourceAccount': input.sourceAccount };
  return {
    Sid: input.statementId,
    Effect: 'Allow',
    Principal: principalElement(input.principal),
    Action: input.action,
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/**
 * The resource-based policies of the local Lambda functions, by function ARN, as AddPermission and
 * RemovePermission build them. In memory: the local stack adds its permissions again at each start.
 */
export class FunctionPermissions {
  private readonly statements = new Map<string, PolicyStatement[]>();
  private changes = 0;

  /**
   * Adds one statement; a statement id the function's policy already has is refused with
   * ResourceConflictException, as Lambda refuses it (remove it first to change it).
   */
  addPermission(functionArn: string, input: AddPermissionInput): PolicyStatement {
    const statement = permissionStatement(functionArn, input);
    const existing = this.statements.get(functionArn) ?? [];
    if (existing.some((s) => s.Sid === input.statementId)) {
      throw new LambdaPermissionError(
        'ResourceConflictException',
        `The statement id (${input.statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    this.statements.set(functionArn, [...existing, statement]);
    this.changes++;
    return statement;
  }

  removePermission(functionArn: string, statementId: string): void {
    const existing = this.statements.get(functionArn) ?? [];
    const kept = existing.filter((s) => s.Sid !== statementId);
    if (kept.length === existing.length) {
      throw new LambdaPermissionError(
        'ResourceNotFoundException',
        `Statement ${statementId} is not found in resource policy.`,
      );
    }
    if (kept.length === 0) this.statements.delete(functionArn);
    else this.statements.set(functionArn, kept);
    this.changes++;
  }

  /** The function's resource-based policy, or undefined when it has none (GetPolicy's 404). */
  policyOf(functionArn: string): PolicyDocument | undefined {
    const statements = this.statements.get(functionArn);
    return statements ? { Version: '2012-10-17', Statement: [...statements] } : undefined;
  }

  /** Grows with every change, so that cached decisions can tell they are stale. */
  get revision(): number {
    return this.changes;
  }
}

function principalElement(principal: string): NonNullable<PolicyStatement['Principal']> {
  if (principal === '*') return '*';
  if (SERVICE_PRINCIPAL.test(principal)) return { Service: principal };
  if (ACCOUNT_ID.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  return { AWS: principal };
}

function checkInput(input: AddPermissionInput): void {
  // Lambda's validation message: the value, the member and the pattern it missed.
  const check = (member: string, value: string | undefined, pattern: RegExp, shown: string): void => {
    if (value === undefined || pattern.test(value)) return;
    throw new LambdaPermissionError(
      'InvalidParameterValueException',
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shown}`,
    );
  };
  check('statementId', input.statementId, STATEMENT_ID, '([a-zA-Z0-9-_.]+)');
  check('action', input.action, ACTION, '(lambda:[*]|lambda:[a-zA-Z]+|[*])');
  check('principal', input.principal, /^\S+$/, '[^\\s]+');
  check(
    'sourceArn',
    input.sourceArn,
    SOURCE_ARN,
    'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)',
  );
  check('sourceAccount', input.sourceAccount, ACCOUNT_ID, '\\d{12}');
  const principal = input.principal;
  if (
    principal !== '*' &&
    !SERVICE_PRINCIPAL.test(principal) &&
    !ACCOUNT_ID.test(principal) &&
    !principal.startsWith('arn:')
  ) {
    throw new LambdaPermissionError(
      'InvalidParameterValueException',
      'The provided principal was invalid. Please check the principal and try again.',
    );
  }
}
