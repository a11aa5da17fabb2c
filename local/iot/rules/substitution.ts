import type { Expression } from './sql/ast.ts';
import { evaluateExpression, type SqlMessage } from './sql/evaluator.ts';
import { parseExpression } from './sql/parser.ts';

/** A substitution template such as `replies/${topic(3)}/${clientid()}`, parsed once. */
export type Template = readonly (string | Expression)[];

/** Parses `${...}` substitutions; throws SqlSyntaxError when one is not a valid expression. */
export function parseTemplate(text: string): Template {
  const parts: (string | Expression)[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf('${');
    if (start < 0) break;
    const end = rest.indexOf('}', start);
    if (end < 0) break;
    if (start > 0) parts.push(rest.slice(0, start));
    parts.push(parseExpression(rest.slice(start + 2, end)));
    rest = rest.slice(end + 1);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Fills a template for one message; an Undefined substitution becomes the empty string, as in AWS. */
export function renderTemplate(template: Template, message: SqlMessage): string {
  return template
    .map((part) => {
      if (typeof part === 'string') return part;
      const value = evaluateExpression(part, message);
      if (value === undefined) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    })
    .join('');
}
