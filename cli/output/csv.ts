import type { Column } from './table.ts';

/** A field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV lines (header first) for spreadsheets and scripts; empty cells stay empty. */
export function renderCsv<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  const cell = (value: string | number | undefined | null): string =>
    csvField(value === undefined || value === null ? '' : String(value));
  return [
    columns.map((column) => csvField(column.header)).join(','),
    ...rows.map((row) => columns.map((column) => cell(column.value(row))).join(',')),
  ];
}
