import type { Column } from './table.ts';

export type TextValue = string | number | boolean | undefined | null;

// Tabs and line breaks would split a field or a record; other control characters could rewrite
// the terminal. Each becomes a space.
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what is replaced
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** One field: `-` when empty, so whitespace-splitting `awk` still counts the columns. */
export function textField(value: TextValue): string {
  if (value === undefined || value === null || value === '') return '-';
  return String(value).replace(CONTROL, ' ');
}

/**
 * One record as the AWS CLI's text output writes it: the record's kind in capitals, then its
 * fields, tab-separated, in a fixed order.
 */
export function textLine(kind: string, fields: readonly TextValue[]): string {
  return [kind, ...fields].map(textField).join('\t');
}

/** A record per row, the columns in the table's order with their full (untruncated) values. */
export function renderText<Row>(
  kind: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
): string[] {
  return rows.map((row) =>
    textLine(
      kind,
      columns.map((column) => (column.full ?? column.value)(row)),
    ),
  );
}
