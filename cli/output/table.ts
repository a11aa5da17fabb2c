import type { CliIo } from '../io.ts';
import { useColour } from './colour.ts';

/** A column of a table: its heading and how to read a row's cell. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | undefined | null;
  /** The untruncated value, for text and CSV output, when `value` shortens it for the table. */
  readonly full?: (row: Row) => string | number | undefined | null;
  readonly align?: 'left' | 'right';
  /** The colour of a cell's text on a terminal (see colour.ts), if any. */
  readonly colour?: (text: string) => string | undefined;
}

// Control characters would break the layout and could rewrite the operator's terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export const cellText = (value: string | number | undefined | null): string =>
  value === undefined || value === null || value === '' ? '-' : String(value).replace(CONTROL, ' ');

/**
 * Lines of a plain-text table for people: a header, then one line per row, columns padded. With
 * `colour`, cells of coloured columns are wrapped in the ANSI colour after padding, so they align.
 */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: { colour?: boolean } = {},
): string[] {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: readonly string[], header: boolean): string =>
    values
      .map((value, i) => {
        const width = widths[i] ?? 0;
        const padded = columns[i]?.align === 'right' ? value.padStart(width) : value.padEnd(width);
        const code = !header && options.colour === true ? columns[i]?.colour?.(value) : undefined;
        return code === undefined ? padded : `\u001b[${code}m${padded}\u001b[0m`;
      })
      .join('  ')
      .trimEnd();
  return [
    line(
      columns.map((column) => column.header),
      true,
    ),
    ...cells.map((cells) => line(cells, false)),
  ];
}

/** Prints a table, indented, its status cells coloured when stdout is a terminal (see colour.ts). */
export function printTable<Row>(
  io: CliIo,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  indent = '',
): void {
  for (const line of renderTable(columns, rows, { colour: useColour(io) })) io.stdout(`${indent}${line}`);
}
