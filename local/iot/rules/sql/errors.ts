import { namedError } from '../../../../lib/named-error.ts';
import type { Position } from './ast.ts';

/**
 * A statement that is not valid IoT SQL. The message names the line, the column and the offending
 * token, so `CreateTopicRule` can refuse the rule with a message that points at the mistake.
 */
export class SqlSyntaxError extends Error {
  override readonly name = 'SqlSyntaxError';

  constructor(
    readonly reason: string,
    readonly at: Position,
    readonly token: string,
  ) {
    super(`Line ${at.line}:${at.column}: ${reason} (at '${token}')`);
  }
}

/** A statement that parsed but cannot be evaluated against one message (e.g. `SELECT *, x` of a binary payload). */
export class SqlEvaluationError extends namedError('SqlEvaluationError') {}
