/**
 * AWS IoT policy variables. A resource's `${...}` references are replaced by the connection's
 * values; the substituted text is literal (a `*` in a client id is not a wildcard). A reference
 * with no value for this connection (e.g. the thing name of a certificate attached to no thing of
 * that name) leaves the resource unmatched, so the statement does not apply to it.
 */
import { type PatternToken, tokensOf } from '../../glob.ts';

export interface PolicyContext {
  readonly clientId: string;
  readonly certificateId: string;
  /** The thing named like the client id, when it is attached to this certificate. */
  readonly thing?: {
    readonly thingName: string;
    readonly thingTypeName?: string;
    readonly attributes: Readonly<Record<string, string>>;
  };
  readonly certificateSubjectCommonName?: string;
}

/** The value of one policy variable (also the condition keys), or undefined when it has none. */
export function variableValue(name: string, ctx: PolicyContext): string | undefined {
  switch (name) {
    case 'iot:ClientId':
      return ctx.clientId;
    case 'iot:CertificateId':
      return ctx.certificateId;
    case 'iot:Connection.Thing.ThingName':
      return ctx.thing?.thingName;
    case 'iot:Connection.Thing.ThingTypeName':
      return ctx.thing?.thingTypeName;
    case 'iot:Connection.Thing.IsAttached':
      return ctx.thing ? 'true' : 'false';
    case 'iot:Certificate.Subject.CommonName':
      return ctx.certificateSubjectCommonName;
    case '*':
      return '*';
    case '?':
      return '?';
    case '$':
      return '$';
  }
  const attribute = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/.exec(name)?.[1];
  if (attribute !== undefined) return ctx.thing?.attributes[attribute];
  return undefined;
}

/** Substitutes variables, or returns undefined when one has no value for this connection. */
export function resolvePattern(pattern: string, ctx: PolicyContext): PatternToken[] | undefined {
  const tokens: PatternToken[] = [];
  const reference = /\$\{([^}]*)\}/g;
  let last = 0;
  for (const match of pattern.matchAll(reference)) {
    tokens.push(...tokensOf(pattern.slice(last, match.index)));
    const value = variableValue(match[1] ?? '', ctx);
    if (value === undefined) return undefined;
    tokens.push({ literal: value });
    last = match.index + match[0].length;
  }
  tokens.push(...tokensOf(pattern.slice(last)));
  return tokens;
}
