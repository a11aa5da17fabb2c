import { UsageError } from '../errors.ts';

/**
 * How a command prints its result (`--output`, as the AWS CLI's): `table` for people, `json` for
 * programs, `text` for `cut` and `awk` (see text.ts), `csv` where a command has it.
 */
export const OUTPUT_FORMATS = ['table', 'json', 'text', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const isFormat = (text: string): text is OutputFormat => OUTPUT_FORMATS.some((f) => f === text);

/**
 * The format the parsed flags ask for (`--json` is `--output json`); table by default. `allowed`
 * narrows it for a command without CSV.
 */
export function outputFormat(
  values: { readonly json?: boolean | undefined; readonly output?: string | undefined },
  allowed: readonly OutputFormat[] = OUTPUT_FORMATS,
): OutputFormat {
  const text = values.output ?? (values.json === true ? 'json' : 'table');
  if (!isFormat(text) || !allowed.includes(text)) {
    throw new UsageError(`--output ${JSON.stringify(text)} is not one of ${allowed.join(', ')}`);
  }
  if (values.json === true && text !== 'json') throw new UsageError(`--json contradicts --output ${text}`);
  return text;
}
