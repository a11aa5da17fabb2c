/** The syntax tree of an AWS IoT SQL (2016-03-23) statement, as the rules engine evaluates it. */

/** Where a node starts in the statement text, for error messages (1-based). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export type Literal = string | number | boolean | null;

export type Expression =
  | { readonly kind: 'literal'; readonly value: Literal; readonly at: Position }
  | { readonly kind: 'path'; readonly segments: readonly PathSegment[]; readonly at: Position }
  | {
      readonly kind: 'call';
      readonly name: SqlFunctionName;
      readonly args: readonly Expression[];
      readonly at: Position;
    }
  | { readonly kind: 'not'; readonly operand: Expression; readonly at: Position }
  | { readonly kind: 'negate'; readonly operand: Expression; readonly at: Position }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
      readonly at: Position;
    }
  | {
      readonly kind: 'in';
      readonly operand: Expression;
      readonly list: readonly Expression[];
      readonly negated: boolean;
      readonly at: Position;
    };

/** `a.b` is a field step; `a[0]` an index step. */
export type PathSegment = { readonly field: string } | { readonly index: number };

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type BinaryOperator = ComparisonOperator | ArithmeticOperator | 'AND' | 'OR';

export const SQL_FUNCTIONS = ['clientid', 'principal', 'topic', 'timestamp', 'newuuid'] as const;
export type SqlFunctionName = (typeof SQL_FUNCTIONS)[number];

export type SelectItem =
  | { readonly kind: 'star'; readonly at: Position }
  | { readonly kind: 'expression'; readonly expression: Expression; readonly alias?: string };

export interface SelectStatement {
  readonly select: readonly SelectItem[];
  /** The FROM topic filter, e.g. `management/topic/+/+`. */
  readonly topicFilter: string;
  readonly where?: Expression;
}
