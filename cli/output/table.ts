/** A column of a table: its heading and how to read a row's cell. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | undefined | null;
  readonly align?: 'left' | 'right';
}

// Control characters would break the layout and could rewrite the operator's terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export const cellText = (value: string | number | undefined | null): string =>
  value === undefined || value === null || value === '' ? '-' : String(value).replace(CONTROL, ' ');

/** Lines of a plain-text table for people: a header, then one line per row, columns padded. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => {
        const width = widths[i] ?? 0;
        return columns[i]?.align === 'right' ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)];
}
