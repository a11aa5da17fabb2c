import { namedError } from '../lib/named-error.ts';

/** Where the README keeps the projections table, so a script can check it and rewrite it. */

export const README_TABLE_START = '<!-- projections:start -->';
export const README_TABLE_END = '<!-- projections:end -->';

export class ReadmeMarkersMissingError extends namedError('ReadmeMarkersMissingError') {}

function bounds(readme: string): { start: number; end: number } {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) {
    throw new ReadmeMarkersMissingError(
      `README.md has no ${README_TABLE_START} ... ${README_TABLE_END} section for the projections`,
    );
  }
  return { start: start + README_TABLE_START.length, end };
}

/** The table as the README has it (without the markers and surrounding blank lines). */
export function readmeTable(readme: string): string {
  const { start, end } = bounds(readme);
  return readme.slice(start, end).trim();
}

export function replaceReadmeTable(readme: string, table: string): string {
  const { start, end } = bounds(readme);
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(end)}`;
}
